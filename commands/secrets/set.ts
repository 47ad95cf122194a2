import {Args, Flags} from '@oclif/core'

import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {MygateCommand} from '../../src/cli/base-command.js'
import {parseDuration} from '../../src/duration.js'
import {UsageError} from '../../src/errors.js'
import {readSecretInput} from '../../src/secrets/input.js'
import {checkSetTarget, type SetSecretResult, setSecret} from '../../src/secrets/set.js'

/** Not flags of this command: each exists so that a value typed on the command line is refused by name. */
const VALUE_ON_ARGV = 'values are never taken from the command line (it ends up in shell history, process listings and CI logs)'

export default class SecretsSet extends MygateCommand<SetSecretResult> {
  static override summary = 'Set an external Secret from standard input, a file, or a cloud secret store; restart the services that read it.'
  static override description =
    'Values come from standard input or --from-file, never the command line. With --key KEY the whole input is that key\'s value ' +
    '(from a file: the exact bytes; from stdin: one trailing newline dropped). Without --key the input is KEY=VALUE lines ' +
    '(the value is everything after the first "=", verbatim; blank lines and # comments skipped). --from-aws-secret / --from-gcp-secret ' +
    'copy an AWS Secrets Manager / Google Secret Manager entry (a JSON object of keys, or with --key the whole entry) into every region. ' +
    'Keys not given keep their values. Every region must be reachable. The services whose pods read a changed value are restarted in ' +
    'dependency order and waited for (--no-restart leaves that to you). Generated Secrets (database credentials, key files) are not set by hand.'

  static override examples = [
    'printf "key-id=rzp_live_...\\nkey-secret=...\\nwebhook-secret=...\\n" | <%= config.bin %> secrets set payment-gateway --env staging',
    '<%= config.bin %> secrets set fcm --env staging --key service-account.json --from-file ./fcm.json',
    '<%= config.bin %> secrets set sms-provider --env prod --from-aws-secret arn:aws:secretsmanager:ap-south-1:123456789012:secret:mygate/sms-AbCdEf',
  ]

  static override strict = false
  static override args = {name: Args.string({description: 'Secret name (see `mygate secrets list`).', required: true})}
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    key: Flags.string({description: 'Take the whole input as the value of this key.'}),
    'from-file': Flags.string({description: 'Read the input from this file instead of standard input.', exclusive: ['from-aws-secret', 'from-gcp-secret']}),
    'from-aws-secret': Flags.string({description: 'Copy from an AWS Secrets Manager secret (ARN, or name in the primary region).', exclusive: ['from-gcp-secret']}),
    'from-gcp-secret': Flags.string({description: 'Copy from a Google Secret Manager secret (projects/P/secrets/S[/versions/V] or a name).'}),
    restart: Flags.boolean({description: 'Restart the services that read a changed value (default on).', allowNo: true, default: true}),
    timeout: Flags.string({description: 'How long restarted services may take to be ready again.', default: '5m'}),
    value: Flags.string({hidden: true}),
    'from-literal': Flags.string({hidden: true}),
  }

  protected async execute(): Promise<SetSecretResult> {
    // Before parsing: oclif's own error for an unknown `--flag=VALUE` would print the value.
    const known = new Set(Object.keys(SecretsSet.flags).concat(Object.keys(SecretsSet.baseFlags), ['json', 'no-restart']))
    const unknown = this.argv.find((token) => token.startsWith('--') && token.includes('=') && !known.has(token.slice(2, token.indexOf('='))))
    if (unknown) throw new UsageError(`unknown flag ${unknown.slice(0, unknown.indexOf('='))} (its value is not shown)`, {hint: 'see `mygate secrets set --help`'})
    const {args, argv, flags} = await this.parse(SecretsSet)
    // Checked before anything else, and never echoed: the value would land in the error output too.
    if (flags.value !== undefined || flags['from-literal'] !== undefined || argv.length > 1) {
      throw new UsageError(`${VALUE_ON_ARGV}; nothing was changed`, {
        hint: `pipe it in (\`mygate secrets set ${args.name} --env ${flags.env} [--key KEY] < FILE\`) or pass --from-file FILE`,
      })
    }
    const timeoutMs = parseDuration(flags.timeout, '--timeout')
    const catalog = await loadCatalog()
    checkSetTarget(catalog, args.name, flags.key)
    const reference = flags['from-aws-secret'] ?? flags['from-gcp-secret']
    const values = reference === undefined ? await readSecretInput({secret: args.name, key: flags.key, fromFile: flags['from-file'], stdin: process.stdin}) : undefined
    return setSecret({
      env: flags.env,
      secret: args.name,
      catalog,
      ...(values ? {values} : {}),
      ...(reference !== undefined
        ? {reference: {kind: flags['from-aws-secret'] !== undefined ? 'aws-secrets-manager' : 'gcp-secret-manager', id: reference, ...(flags.key ? {key: flags.key} : {})}}
        : {}),
      restart: flags.restart,
      timeoutMs,
      onProgress: this.jsonEnabled() ? undefined : (line) => this.note(line),
    })
  }

  protected override present(result: SetSecretResult): void {
    for (const warning of result.warnings) this.note(`Warning: ${warning}`)
    const written = result.copies.map((c) => `${c.region}/${c.namespace} ${c.action}`).join(', ')
    this.log(`Set ${result.secret} (${result.keys.join(', ')})${result.reference ? ` from ${result.reference}` : ''} in ${result.environment}: ${written}.`)
    if (result.missingKeys.length > 0) this.log(`Still missing: ${result.missingKeys.join(', ')} (set them before services that read them can start).`)
    if (result.placeholderKeys.length > 0) this.log(`Still placeholders: ${result.placeholderKeys.join(', ')}.`)
    const restarted = [...new Set(result.restarted.map((r) => `${r.service} (${r.region})`))]
    if (restarted.length > 0) this.log(`Restarted: ${restarted.join(', ')}.`)
    else if (result.restartPending.length > 0) this.log(`Not restarted (--no-restart): ${result.restartPending.join(', ')} read the old value until their pods restart.`)
    else this.log(result.changedKeys.length > 0 ? 'No running service reads the changed keys; nothing restarted.' : 'No service was running on an earlier value of these keys; nothing restarted.')
    this.log(`Result: SUCCESS — ${result.secret} set${restarted.length > 0 ? `; restarted ${[...new Set(result.restarted.map((r) => r.service))].join(', ')}` : ''}.`)
  }
}
