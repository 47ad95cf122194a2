#!/usr/bin/env node
// Production entry point: runs the compiled commands in dist/ with the shipped oclif manifest.
import {readFileSync} from 'node:fs'

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`Error: mygate needs Node.js >= 20.19; this is ${process.version} (install a newer Node.js)\n`)
  process.exit(2)
}

const args = process.argv.slice(2)
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v' || args[0] === 'version')) {
  // Answered without loading oclif (about 80 ms of module loading): scripts call it often, and
  // this is the line oclif itself prints.
  const {name, version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // A few hot read-only invocations are answered without oclif (see src/cli/fast-path.ts).
  const {runFastPath} = await import('../dist/src/cli/fast-path.js')
  if (!(await runFastPath(args))) {
    // The Node version was checked above; oclif's own check loads semver (about 10 ms) to repeat it.
    process.env.OCLIF_DISABLE_ENGINE_WARNING ??= 'true'
    const {execute} = await import('@oclif/core')
    await execute({dir: import.meta.url})
  }
}
