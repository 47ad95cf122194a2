import {Args, Flags} from '@oclif/core'

import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {MygateCommand} from '../../src/cli/base-command.js'
import {type DeleteSecretResult, type DeleteTarget, deleteSecret} from '../../src/secrets/delete.js'
import {canPrompt, confirmOperation} from '../../src/ui/confirm.js'

export default class SecretsDelete extends MygateCommand<DeleteSecretResult> {
  static override summary = 'Delete a Secret from every region of an environment.'
  static override description =
    'Running pods keep their values; a pod started later needs the Secret back (`mygate secrets set`, or `mygate env create` for a generated ' +
    'Secret or on the dev tier, which writes new values: a database initialised with the old credentials refuses new ones). ' +
    'Asks for the environment\'s name in a terminal; without one pass --yes, and for a prod-tier environment --yes --confirm NAME.'

  static override examples = ['<%= config.bin %> secrets delete smtp --env demo --yes', '<%= config.bin %> secrets delete billing-db-credentials --env prod --yes --confirm prod']
  static override args = {name: Args.string({description: 'Secret name.', required: true})}
  static override flags = {
    env: Flags.string({description: 'Environment.', required: true}),
    yes: Flags.boolean({description: 'Do not ask (required without a terminal).'}),
    confirm: Flags.string({description: 'The environment name again (required for prod without a terminal).'}),
  }

  protected async execute(): Promise<DeleteSecretResult> {
    const {args, flags} = await this.parse(SecretsDelete)
    return deleteSecret({
      env: flags.env,
      secret: args.name,
      catalog: await loadCatalog(),
      // The shared confirmation rule (src/guards/confirmation-rule.ts): a deletion is destructive.
      confirm: async (target: DeleteTarget) => {
        const what = `${target.class} Secret ${target.secret} from environment ${target.environment}`
        await confirmOperation({
          environment: target.environment,
          tier: target.tier,
          destructive: true,
          action: `delete ${what}`,
          doing: `deleting ${what}`,
          terminal: canPrompt() && !this.jsonEnabled(),
          yes: flags.yes,
          confirm: flags.confirm,
        })
      },
    })
  }

  protected override present(result: DeleteSecretResult): void {
    for (const warning of result.warnings) this.note(`Warning: ${warning}`)
    if (result.deleted.length === 0) {
      this.log(`Result: SUCCESS — ${result.secret} did not exist in ${result.environment}; nothing deleted.`)
      return
    }
    this.log(`Deleted ${result.secret} from ${result.deleted.map((d) => `${d.region}/${d.namespace}`).join(', ')}.`)
    this.log(`Read by ${result.readers.join(', ')}: their running pods keep the old value; new pods need it back.`)
    this.log(`Result: SUCCESS — ${result.secret} deleted from ${result.environment}.`)
  }
}
