import {createHash} from 'node:crypto'
import {readdirSync, readFileSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {join} from 'node:path'

import {writeFileAtomic} from '../../../atomic-file.js'

/**
 * What each simulated redis-server has written to its data directory, so a restarted one (its pod
 * recreated, its region back, the daemon restarted) starts with the dataset Redis would load.
 *
 * Redis' persistence rules (https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/):
 * with `appendonly yes` every write is appended to the AOF in `dir` and "when Redis restarts it
 * will re-play the AOF to rebuild the original dataset"; a replica keeps its own AOF too (it then
 * resyncs from its master, which replaces the dataset). mygate's Redis runs with `--appendonly yes
 * --dir /data` and /data is the member's PersistentVolumeClaim (templates/redis/statefulset.yaml,
 * src/db/redis-topology.ts), so its dataset lives as long as the claim.
 * Simulated: a dataset is kept per volume identity (the claim by name and uid: a claim deleted and
 * recreated is new, empty storage); without `appendonly yes` (RDB save points are not simulated)
 * or with `dir` on no claim, a restart starts empty. `appendfsync everysec` (the default) may lose
 * the last second of writes on a crash: so may this, whose writes go to disk asynchronously; a
 * stop flushes them.
 */
export class RedisDatasets {
  private readonly saved = new Map<string, {version: number; data: Map<string, string>}>()
  private pending: Promise<void> = Promise.resolve()
  private failure: string | undefined

  /** `dir` undefined: kept in memory only (tests of one data plane's lifetime). */
  constructor(private readonly dir?: string) {
    if (!dir) return
    let files: string[] = []
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.json'))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    for (const file of files) {
      const stored = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {volume: string; data: Array<[string, string]>}
      this.saved.set(stored.volume, {version: -1, data: new Map(stored.data)})
    }
  }

  /** The dataset a redis-server on `volume` loads at start (a copy), or undefined: it starts empty. */
  load(volume: string): Map<string, string> | undefined {
    const found = this.saved.get(volume)
    return found ? new Map(found.data) : undefined
  }

  /** Records a running server's dataset when it changed since it was last saved (`version`: its change stamp). */
  save(volume: string, version: number, data: ReadonlyMap<string, string>): void {
    const known = this.saved.get(volume)
    if (known && known.version === version) return
    const copy = new Map(data)
    this.saved.set(volume, {version, data: copy})
    if (!this.dir) return
    const path = join(this.dir, fileOf(volume))
    const text = JSON.stringify({volume, data: [...copy]})
    this.pending = this.pending.then(() => writeFileAtomic(path, text)).catch((error: unknown) => {
      this.failure = `cannot save a Redis dataset: ${String(error)}`
    })
  }

  /** Its volume is gone (claim deleted, cluster destroyed): so is its data. */
  forget(volume: string): void {
    if (!this.saved.delete(volume) || !this.dir) return
    const path = join(this.dir, fileOf(volume))
    this.pending = this.pending.then(() => rm(path, {force: true}))
  }

  volumes(): string[] {
    return [...this.saved.keys()]
  }

  /** Resolves once every dataset saved so far is on disk; the last write failure, if any. */
  async flush(): Promise<string | undefined> {
    await this.pending
    return this.failure
  }
}

const fileOf = (volume: string): string => `${createHash('sha256').update(volume).digest('hex').slice(0, 32)}.json`
