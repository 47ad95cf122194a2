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
    return resumeFailover({env: flags.env, catalog: await loadCatalog(), progress: progressMode({json: this.jsonEnabled()})})
  }

  protected override present(result: FailoverResult): void {
    for (const line of presentRun(result)) this.log(line)
  }
}
