/** "Did you mean ...?": the known word nearest to a typed one, if it is near enough. Pure. */

export function editDistance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length]
}

/** The nearest of `known` within a third of the typed length (at least 1 edit), or a prefix match. */
export function closest(typed: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const k of known) {
    const d = editDistance(typed, k)
    if (d < bestDistance) {
      best = k
      bestDistance = d
    }
  }
  if (bestDistance <= Math.max(1, Math.floor(typed.length / 3))) return best
  return typed.length >= 2 ? known.find((k) => k.startsWith(typed)) : undefined
}
