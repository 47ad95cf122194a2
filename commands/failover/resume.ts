import {Flags} from '@oclif/core'

import {loadCatalog} from '../../src/catalog/load-catalog.js'
import {MygateCommand} from '../../src/cli/base-command.js'
import {type FailoverResult, resumeFailover} from '../../src/failover/execute.js'
import {presentRun} from '../../src/failover/present.js'
import {progressMode} from '../../src/ui/progress.js'

export default class FailoverResume extends MygateCommand<FailoverResult> {
  static override summary = 'Continue an interrupted failover from its last completed step.'
  static override examples = ['<%= config.bin %> failover resume --env demo']
  static override flags = {env: Flags.string({description: 'Environment name.', required: true})}

  protected async execute(): Promise<FailoverResult> {
    const {flags} = await this.parse(FailoverResume)
    const result = await resumeFailover({env: flags.env, catalog: await loadCatalog(), progress: progressMode({json: this.jsonEnabled()})})
    // The envelope's warnings (--json); a person reads them above the Result line (presentRun).
    if (this.jsonEnabled()) for (const warning of result.warnings ?? []) this.addWarning(warning)
    return result
  }

  protected override present(result: FailoverResult): void {
    for (const line of presentRun(result)) this.log(line)
  }
}
