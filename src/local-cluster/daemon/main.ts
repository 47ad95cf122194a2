// Entry point of the detached local control plane process (spawned by `mygate local start`).
import {mygateHome} from '../../home.js'
import {crdGroupsWithoutFromEnv} from '../bootstrap.js'
import {timingFromEnv} from '../cluster.js'
import {dataPlaneTimingFromEnv} from '../data-plane/timing.js'
import {runDaemon} from './daemon.js'

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`)

try {
  const daemon = await runDaemon({home: mygateHome(), timing: timingFromEnv(process.env), dataPlaneTiming: dataPlaneTimingFromEnv(process.env), log, withoutCrdGroups: crdGroupsWithoutFromEnv(process.env)})
  const shutdown = () => void daemon.stop()
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)
  await daemon.closed
  // Entry point only: end even if a stray timer is left in a controller.
  setTimeout(() => process.exit(0), 500).unref()
} catch (error) {
  log(`failed: ${(error as Error).message}`)
  process.exitCode = 1
}
