import {formatDuration} from '../duration.js'

/**
 * Runs long work as named phases and reports progress on stderr: a listr2 task tree in a
 * terminal, plain timestamped lines otherwise (CI, pipes, --json). The phases' results are
 * returned, never printed here, so --json output stays clean.
 */

export interface PhaseContext {
  /** A line about what just happened inside the phase. */
  update(message: string): void
}

export interface Phase<T = unknown> {
  title: string
  run(context: PhaseContext): Promise<T>
  /** Shown after the title when the phase completes (e.g. "12 created, 3 unchanged"). */
  summarize?(result: T): string
}

export interface PhaseTiming {
  title: string
  elapsedMs: number
  summary?: string
}

export interface RunPhasesOptions {
  /** Use the interactive listr2 renderer (only in a TTY and without --json). */
  interactive: boolean
  /** No output at all (library use, tests). */
  silent?: boolean
  write?: (line: string) => void
}

export function shouldRenderInteractively(json: boolean): boolean {
  return !json && Boolean(process.stderr.isTTY) && !process.env.CI
}

function stamp(): string {
  return new Date().toISOString().slice(11, 19)
}

/** Runs phases in order; stops at the first failure (which is rethrown after being reported). */
export async function runPhases(phases: Phase[], options: RunPhasesOptions): Promise<PhaseTiming[]> {
  if (options.interactive && !options.silent) return runWithListr(phases)
  const write = options.silent ? () => undefined : (options.write ?? ((line: string) => process.stderr.write(`${line}\n`)))
  const timings: PhaseTiming[] = []
  for (const phase of phases) {
    const started = Date.now()
    write(`[${stamp()}] ▸ ${phase.title}`)
    try {
      const result = await phase.run({update: (message) => write(`[${stamp()}]   ${message}`)})
      const elapsedMs = Date.now() - started
      const summary = phase.summarize?.(result)
      timings.push({title: phase.title, elapsedMs, summary})
      write(`[${stamp()}] ✔ ${phase.title}${summary ? `: ${summary}` : ''} (${formatDuration(elapsedMs)})`)
    } catch (error) {
      write(`[${stamp()}] ✖ ${phase.title} (${formatDuration(Date.now() - started)})`)
      throw error
    }
  }
  return timings
}

async function runWithListr(phases: Phase[]): Promise<PhaseTiming[]> {
  const {Listr, ListrLogger, ProcessOutput} = await import('listr2')
  const timings: PhaseTiming[] = []
  const tasks = new Listr(
    phases.map((phase) => ({
      title: phase.title,
      task: async (_ctx: unknown, task: {output: string; title: string}) => {
        const started = Date.now()
        const result = await phase.run({update: (message) => (task.output = message)})
        const elapsedMs = Date.now() - started
        const summary = phase.summarize?.(result)
        timings.push({title: phase.title, elapsedMs, summary})
        task.title = `${phase.title}${summary ? `: ${summary}` : ''} (${formatDuration(elapsedMs)})`
      },
    })),
    {
      concurrent: false,
      exitOnError: true,
      registerSignalListeners: false,
      // Progress belongs on stderr; stdout carries only results.
      rendererOptions: {logger: new ListrLogger({processOutput: new ProcessOutput(process.stderr, process.stderr)}), collapseErrors: false},
    },
  )
  await tasks.run()
  return timings
}
