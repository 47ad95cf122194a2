import {formatDuration} from '../duration.js'

/**
 * The one progress model for long commands (env create/destroy, deploy, rollout steering; later
 * failover, backups, db, flags, env sync): named phases, each with optional steps (a resource,
 * a rollout step), each ending with a verdict, and a final `Result:` line. Progress goes to
 * stderr only, never to stdout and never into `--json` output (stdout carries the result).
 *
 * Two renderings of the same events:
 *   - `tree`: a listr2 task tree in a terminal (stderr is a TTY, not CI, not --json). Declared
 *     steps show as pending until they start, so a person sees what is still to come.
 *   - `lines`: timestamped plain lines (CI=true, no TTY, --json), one per event:
 *       [12:00:01] ▸ Services                       a phase or step starts
 *       [12:00:02]   local-1: deployment/auth ...   what just happened inside it
 *       [12:00:03] ✔ Services: 18/18 ready (2.1s)  it ended: ✔ succeeded, ✖ failed, ⏱ timed out, ↓ skipped
 *     A step that never started (jumped over, or left when the phase ended) gets no line: the
 *     tree shows it as skipped, and the phase's own line and the Result line say where it stopped.
 *   - `silent`: nothing (library use, tests).
 *
 * API, push style (the caller reports events as they happen):
 *
 *   const progress = createProgress({mode: progressMode({json})})
 *   const block = progress.block([{title: 'visitors: canary 3.4.0 -> 3.5.0', steps: ['step 1/2: set weight 50%', ...]}])
 *   const phase = block.phases[0]
 *   phase.start()
 *   phase.steps[0].start(); phase.update('weight 50%: ...'); phase.steps[0].end('succeeded')
 *   phase.end('succeeded', 'visitors 3.5.0 is live')
 *   await block.close()
 *   progress.result('Result: SUCCESS — ...')   // only when the command fails; on success present() prints it on stdout
 *
 * and pull style for a fixed list of phases: `runPhases([{title, run, summarize}], options)`.
 *
 * Rules the trackers keep, so callers stay simple:
 *   - start() and end() are idempotent; the first end() wins.
 *   - Starting a step ends every earlier step that never started as skipped (it was jumped over).
 *   - A phase's update() goes to its running step when one runs.
 *   - Ending a phase ends its open steps: a running one with the phase's verdict, the others skipped.
 *   - block.close() ends whatever is still open (running: failed, never started: skipped) and
 *     waits for the terminal rendering to finish; call it in a `finally`.
 *   - A block is rendered as one listr2 tree; phases run one after the other unless the block is
 *     `concurrent` (a wave of a release train). Several blocks render one below the other.
 */

export type Verdict = 'succeeded' | 'failed' | 'timed out' | 'skipped'

export type ProgressMode = 'tree' | 'lines' | 'silent'

/** The listr2 tree in a terminal; plain lines in CI, without a TTY, and with --json. */
export function progressMode(options: {json: boolean}): ProgressMode {
  return !options.json && Boolean(process.stderr.isTTY) && !process.env.CI ? 'tree' : 'lines'
}

export interface StepSpec {
  title: string
  /** Shown only once it starts (a rollback that may never happen). */
  optional?: boolean
}

export interface PhaseSpec {
  title: string
  /** Prefix of this phase's step lines in `lines` mode, for phases that run at once: "[users] ". */
  label?: string
  steps?: Array<string | StepSpec>
}

export interface Tracker {
  readonly title: string
  readonly started: boolean
  /** Set once ended. */
  readonly verdict: Verdict | undefined
  start(): void
  /** A line about what just happened (shown under the running task, or as a plain line). */
  update(message: string): void
  end(verdict: Verdict, summary?: string): void
}

export interface PhaseTracker extends Tracker {
  readonly steps: readonly Tracker[]
  /** The step that has started and not ended, if any. */
  readonly running: Tracker | undefined
}

export interface Block {
  readonly phases: readonly PhaseTracker[]
  /** Ends whatever is open and waits for the rendering to finish. */
  close(): Promise<void>
}

export interface Progress {
  readonly mode: ProgressMode
  block(phases: PhaseSpec[], options?: {concurrent?: boolean}): Block
  /** A line outside any phase (a warning). */
  note(message: string): void
  /** The final "Result: ..." line, on stderr, unstamped (the last thing before an error line). */
  result(line: string): void
}

export interface ProgressOptions {
  mode: ProgressMode
  /** Where lines go in `lines` mode (default: stderr). */
  write?: (line: string) => void
  /** The clock for stamps and elapsed times (default: Date.now). */
  now?: () => number
}

export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`))
  return {
    mode: options.mode,
    block(phases, blockOptions = {}) {
      const trackers = phases.map((spec) => new PhaseState(spec, options.mode === 'lines' ? write : undefined, now))
      const rendering = options.mode === 'tree' ? renderTree(trackers, Boolean(blockOptions.concurrent)) : Promise.resolve()
      return {
        phases: trackers,
        async close() {
          for (const phase of trackers) phase.closeOpen()
          await rendering
        },
      }
    },
    note(message) {
      if (options.mode !== 'silent') write(message)
    },
    result(line) {
      if (options.mode !== 'silent') write(line)
    },
  }
}

const ICON: Record<Verdict, string> = {succeeded: '✔', failed: '✖', 'timed out': '⏱', skipped: '↓'}

type Write = ((line: string) => void) | undefined

/** One phase or step: its state, a promise per transition (for the tree), and its plain lines. */
class TrackerState implements Tracker {
  started = false
  verdict: Verdict | undefined
  summary: string | undefined
  startedAt = 0
  elapsedMs = 0
  /** The listr2 task showing this tracker, once its turn has come, and the last line for it. */
  private shownBy: {output: string; title: string} | undefined
  private lastLine: string | undefined
  readonly ended: Promise<void>
  private resolveEnded!: () => void

  constructor(
    readonly title: string,
    protected readonly write: Write,
    protected readonly now: () => number,
    protected readonly prefix = '',
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve))
  }

  start(): void {
    if (this.started || this.verdict) return
    this.started = true
    this.startedAt = this.now()
    this.line(`▸ ${this.prefix}${this.title}`)
  }

  update(message: string): void {
    this.lastLine = message
    if (this.shownBy) this.shownBy.output = message
    this.line(`  ${this.prefix}${message}`)
  }

  /** The listr2 task takes over (its turn may come after the first updates). */
  showIn(task: {output: string; title: string}): void {
    this.shownBy = task
    if (this.lastLine !== undefined) task.output = this.lastLine
  }

  end(verdict: Verdict, summary?: string): void {
    if (this.verdict) return
    this.verdict = verdict
    this.summary = summary
    this.elapsedMs = this.started ? this.now() - this.startedAt : 0
    // A step that never started gets no line (see the module comment).
    if (this.started) this.line(`${ICON[verdict]} ${this.prefix}${this.finalTitle()}`)
    this.resolveEnded()
  }

  /** "title: summary (1.2s)". */
  finalTitle(): string {
    return `${this.title}${this.summary ? `: ${this.summary}` : ''}${this.started ? ` (${formatDuration(this.elapsedMs)})` : ''}`
  }

  protected line(text: string): void {
    this.write?.(`[${new Date(this.now()).toISOString().slice(11, 19)}] ${text}`)
  }
}

class PhaseState extends TrackerState implements PhaseTracker {
  readonly steps: TrackerState[]
  readonly optional: boolean[]

  constructor(
    readonly spec: PhaseSpec,
    write: Write,
    now: () => number,
  ) {
    super(spec.title, write, now)
    const steps = (spec.steps ?? []).map((s) => (typeof s === 'string' ? {title: s} : s))
    this.optional = steps.map((s) => Boolean(s.optional))
    this.steps = steps.map((s, index) => new StepState(s.title, write, now, spec.label ?? '', () => this.stepStarting(index)))
  }

  get running(): TrackerState | undefined {
    return this.steps.find((s) => s.started && !s.verdict)
  }

  override update(message: string): void {
    const running = this.running
    if (running) running.update(message)
    else super.update(message)
  }

  override end(verdict: Verdict, summary?: string): void {
    if (this.verdict) return
    for (const step of this.steps) if (!step.verdict) step.end(step.started ? verdict : 'skipped')
    super.end(verdict, summary)
  }

  /** Ends what the caller left open (an exception went past it). */
  closeOpen(): void {
    if (this.verdict) return
    this.end(this.started ? 'failed' : 'skipped')
  }

  private stepStarting(index: number): void {
    this.start()
    for (let i = 0; i < index; i++) if (!this.steps[i].started && !this.steps[i].verdict) this.steps[i].end('skipped')
  }
}

class StepState extends TrackerState {
  constructor(
    title: string,
    write: Write,
    now: () => number,
    prefix: string,
    private readonly onStart: () => void,
  ) {
    super(title, write, now, prefix)
  }

  override start(): void {
    if (this.started || this.verdict) return
    this.onStart()
    super.start()
  }
}

/** Renders a block as one listr2 tree on stderr, driven by the trackers' transitions. */
async function renderTree(phases: PhaseState[], concurrent: boolean): Promise<void> {
  const {Listr, ListrLogger, ProcessOutput} = await import('listr2')
  type Task = {output: string; title: string; skip(message?: string): void; newListr(tasks: unknown[], options?: unknown): unknown}

  // Settles a listr2 task the way its tracker ended: a title with the summary and elapsed time,
  // "skipped" with the reason, or an error: listr2 marks the task failed and shows the error's
  // message (the summary) under the title.
  const settle = (tracker: TrackerState, task: Task) => {
    switch (tracker.verdict) {
      case 'succeeded':
        task.title = tracker.finalTitle()
        return
      case 'skipped':
        task.skip(tracker.finalTitle())
        return
      default: {
        const elapsed = tracker.started ? ` (${formatDuration(tracker.elapsedMs)})` : ''
        task.title = `${tracker.title}${tracker.verdict === 'timed out' ? ' — timed out' : ''}${elapsed}`
        throw new Error(tracker.summary ?? tracker.verdict)
      }
    }
  }
  const stepTask = (phase: PhaseState, step: TrackerState, index: number) => ({
    title: step.title,
    // A failed step does not stop the list: the steps after it settle (skipped) on their own.
    exitOnError: false,
    enabled: () => !phase.optional[index] || step.started,
    task: async (_ctx: unknown, task: Task) => {
      step.showIn(task)
      await step.ended
      settle(step, task)
    },
  })
  const tasks = phases.map((phase) => ({
    title: phase.title,
    task: async (_ctx: unknown, task: Task) => {
      phase.showIn(task)
      if (phase.steps.length === 0) {
        await phase.ended
        return settle(phase, task)
      }
      // The steps, then a hidden (untitled) last task that settles the phase itself once it
      // ends; its error is the only one that fails the list, and with it the phase's task.
      return task.newListr(
        [...phase.steps.map((step, index) => stepTask(phase, step, index)), {task: async () => (await phase.ended, settle(phase, task))}],
        {concurrent: false, exitOnError: true},
      )
    },
  }))
  const list = new Listr(tasks as never, {
    concurrent,
    exitOnError: false,
    registerSignalListeners: false,
    // Progress belongs on stderr; stdout carries only results.
    rendererOptions: {logger: new ListrLogger({processOutput: new ProcessOutput(process.stderr, process.stderr)}), collapseErrors: false},
  })
  await list.run()
}

/** A phase of `runPhases`: a title, the work, and the summary shown when it succeeds. */
export interface Phase<T = unknown> {
  title: string
  run(context: PhaseContext): Promise<T>
  /** Shown after the title when the phase completes (e.g. "12 created, 3 unchanged"). */
  summarize?(result: T): string
}

export interface PhaseContext {
  /** A line about what just happened inside the phase. */
  update(message: string): void
}

/** Each phase's elapsed time and summary, as `--json` results report them. */
export interface PhaseTiming {
  title: string
  elapsedMs: number
  summary?: string
}

export interface RunPhasesOptions {
  /** The listr2 tree (only in a TTY and without --json; see progressMode). */
  interactive: boolean
  /** No output at all (library use, tests). */
  silent?: boolean
  write?: (line: string) => void
  now?: () => number
}

/**
 * Runs a fixed list of phases in order on the progress model; stops at the first failure (the
 * phase ends failed, the rest skipped, and the error is rethrown).
 */
export async function runPhases(phases: Phase[], options: RunPhasesOptions): Promise<PhaseTiming[]> {
  const progress = createProgress({mode: options.silent ? 'silent' : options.interactive ? 'tree' : 'lines', write: options.write, now: options.now})
  const block = progress.block(phases.map((phase) => ({title: phase.title})))
  const timings: PhaseTiming[] = []
  try {
    for (const [index, phase] of phases.entries()) {
      const tracker = block.phases[index]
      tracker.start()
      try {
        const result = await phase.run({update: (message) => tracker.update(message)})
        const summary = phase.summarize?.(result)
        tracker.end('succeeded', summary)
        timings.push({title: phase.title, elapsedMs: (tracker as PhaseState).elapsedMs, summary})
      } catch (error) {
        tracker.end('failed')
        throw error
      }
    }
  } finally {
    await block.close()
  }
  return timings
}
