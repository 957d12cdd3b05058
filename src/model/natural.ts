/**
 * Device names in natural order: tun2 before tun10. Runs of digits compare by their value, everything
 * else by character code, so the order is the same on every machine and needs no ICU (whose first use
 * costs about 6 ms at start-up, more than listing 1000 devices takes to sort).
 */
export function compareNames(a: string, b: string): number {
  // Digits tested in place (c - 48 as an unsigned number is below 10) rather than by a call: a list sorts
  // thousands of names, in code V8 does not optimise, where each call counts.
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(j)
    if ((ca - 48) >>> 0 < 10 && (cb - 48) >>> 0 < 10) {
      let ei = i + 1
      let ej = j + 1
      while (ei < a.length && (a.charCodeAt(ei) - 48) >>> 0 < 10) ei++
      while (ej < b.length && (b.charCodeAt(ej) - 48) >>> 0 < 10) ej++
      // Compare values without converting (runs may be longer than a double holds exactly).
      let si = i
      let sj = j
      while (si < ei - 1 && a.charCodeAt(si) === 48) si++
      while (sj < ej - 1 && b.charCodeAt(sj) === 48) sj++
      const byLength = ei - si - (ej - sj)
      if (byLength !== 0) return byLength
      for (let k = 0; k < ei - si; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k)
        if (d !== 0) return d
      }
      // Same value: fewer leading zeros first (tun1 before tun01).
      const zeros = ei - i - (ej - j)
      if (zeros !== 0) return zeros
      i = ei
      j = ej
      continue
    }
    if (ca !== cb) return ca - cb
    i++
    j++
  }
  return a.length - i - (b.length - j)
}
