import {readFile, rm} from 'node:fs/promises'

import {writeFileAtomic} from '../../atomic-file.js'
import {answer, type LocalDnsAnswer, type LocalDnsRecordSet, type LocalDnsRegionRecord} from './record-set.js'

/**
 * The daemon's DNS table: record sets by name, kept in a file so they survive restarts. Health is
 * not stored: it is asked of the daemon each time (a region that is down is unhealthy), as a
 * health checker would probe it.
 */
export class DnsTable {
  private readonly sets = new Map<string, LocalDnsRecordSet>()

  private constructor(
    private readonly file: string,
    private readonly healthy: (record: LocalDnsRegionRecord) => boolean,
  ) {}

  static async load(file: string, healthy: (record: LocalDnsRegionRecord) => boolean): Promise<DnsTable> {
    const table = new DnsTable(file, healthy)
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as LocalDnsRecordSet[]
      for (const set of Array.isArray(parsed) ? parsed : []) table.sets.set(set.name, set)
    } catch (error) {
      // Never written yet, or torn by a crash mid-write (writes are atomic, so only by hand).
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error
    }
    return table
  }

  list(): LocalDnsAnswer[] {
    return [...this.sets.values()].map((set) => answer(set, this.healthy))
  }

  get(name: string): LocalDnsAnswer | undefined {
    const set = this.sets.get(name)
    return set ? answer(set, this.healthy) : undefined
  }

  async put(set: LocalDnsRecordSet): Promise<LocalDnsAnswer> {
    this.sets.set(set.name, set)
    await this.persist()
    return answer(set, this.healthy)
  }

  async delete(name: string): Promise<boolean> {
    const existed = this.sets.delete(name)
    if (existed) await this.persist()
    return existed
  }

  private async persist(): Promise<void> {
    if (this.sets.size === 0) {
      await rm(this.file, {force: true})
      return
    }
    await writeFileAtomic(this.file, JSON.stringify([...this.sets.values()], null, 2))
  }
}
