import {chmodSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

/**
 * A real exec credential plugin for tests: an executable Node script that prints an ExecCredential
 * and records each run (its KUBERNETES_EXEC_INFO and the env it was given) as a JSON line, so a
 * test can count runs and check what kubectl's protocol hands a plugin. Tokens end in the run
 * number ("tok-1", "tok-2"), so a test sees which run a request carried.
 */
export interface TestPlugin {
  command: string
  runs(): Array<{info: {apiVersion: string; kind: string; spec: {interactive: boolean; cluster?: Record<string, unknown>}}; env: {PLUGIN_SETTING?: string}}>
}

export interface TestPluginOutput {
  /** Default: the apiVersion of KUBERNETES_EXEC_INFO. */
  apiVersion?: string
  token?: string
  clientCertificateData?: string
  clientKeyData?: string
  expiresInMs?: number
  exitCode?: number
  /** Printed as is instead of an ExecCredential. */
  raw?: string
}

export function writeTestPlugin(dir: string, name: string, output: TestPluginOutput): TestPlugin {
  // .mjs: Node runs an extensionless script as CommonJS.
  const command = join(dir, `${name}.mjs`)
  const log = join(dir, `${name}.runs`)
  const script = `#!${process.execPath}
import {appendFileSync, readFileSync} from 'node:fs'
const output = ${JSON.stringify(output)}
const log = ${JSON.stringify(log)}
const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO ?? 'null')
appendFileSync(log, JSON.stringify({info, env: {PLUGIN_SETTING: process.env.PLUGIN_SETTING}}) + '\\n')
const run = readFileSync(log, 'utf8').trim().split('\\n').length
if (output.exitCode) {
  process.stderr.write('plugin failed on purpose\\n')
  process.exit(output.exitCode)
}
if (output.raw !== undefined) {
  process.stdout.write(output.raw)
  process.exit(0)
}
const status = {}
if (output.token) status.token = output.token + '-' + run
if (output.clientCertificateData) Object.assign(status, {clientCertificateData: output.clientCertificateData, clientKeyData: output.clientKeyData})
if (output.expiresInMs !== undefined) status.expirationTimestamp = new Date(Date.now() + output.expiresInMs).toISOString()
process.stdout.write(JSON.stringify({apiVersion: output.apiVersion ?? info.apiVersion, kind: 'ExecCredential', status}))
`
  writeFileSync(command, script)
  chmodSync(command, 0o755)
  return {
    command,
    runs() {
      let text: string
      try {
        text = readFileSync(log, 'utf8')
      } catch {
        return []
      }
      return text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line))
    },
  }
}
