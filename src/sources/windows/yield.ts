/** Lets other work (scrapes, /health, timers) run between slices of a long native loop. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
