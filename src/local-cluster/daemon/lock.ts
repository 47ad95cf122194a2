import {ConflictError} from '../../errors.js'
import {acquirePidLock} from '../../pid-lock.js'

/** Takes the state directory's lock: one daemon per $MYGATE_HOME/local. */
export function acquireLock(lockFile: string, stateDir: string): () => void {
  return acquirePidLock(lockFile, (holder) =>
    Number.isNaN(holder)
      ? new ConflictError(`could not lock ${lockFile}`, {hint: 'another mygate process is starting the local control plane; retry'})
      : new ConflictError(`a local control plane (pid ${holder}) is already running on ${stateDir}`, {
          hint: 'use it (`mygate local status`), stop it with `mygate local stop`, or set MYGATE_HOME to another directory',
        }),
  )
}
