/**
 * Runs `fn` for a burst of triggers once: a trigger waits `delayMs` for more to come;
 * triggers while `fn` runs make exactly one more run after it. Never two runs at once.
 */
export class Coalescer {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private again = false
  private reasons: string[] = []
  private stopped = false

  constructor(
    private readonly fn: (reasons: string[]) => Promise<void>,
    private readonly delayMs: number,
  ) {}

  /** Asks for a run; returns at once. */
  trigger(reason: string): void {
    if (this.stopped) return
    this.reasons.push(reason)
    if (this.running) {
      this.again = true
      return
    }
    if (!this.timer) this.timer = setTimeout(() => void this.start(), this.delayMs)
  }

  /** True while a run is going on or waiting to start. */
  get busy(): boolean {
    return this.running !== undefined || this.timer !== undefined
  }

  private async start(): Promise<void> {
    this.timer = undefined
    const reasons = this.reasons
    this.reasons = []
    this.running = this.fn(reasons).catch(() => undefined)
    await this.running
    this.running = undefined
    if (this.again && !this.stopped) {
      this.again = false
      this.timer = setTimeout(() => void this.start(), this.delayMs)
    }
  }

  /** No new runs; resolves when the current one (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    await this.running
  }
}
