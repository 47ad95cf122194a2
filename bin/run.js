#!/usr/bin/env node
// Production entry point: runs the compiled commands in dist/ with the shipped oclif manifest.
//
// `mygate --version` is answered here without loading oclif (about 80 ms of module loading):
// scripts and shells call it often, and the answer is the same line oclif prints.
import {readFileSync} from 'node:fs'

const args = process.argv.slice(2)
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v' || args[0] === 'version')) {
  const {name, version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
