/**
 * Device names in natural order: tun2 before tun10. Runs of digits compare by their value, everything
 * else by character code, so the order is the same on every machine and needs no ICU (whose first use
 * costs about 6 ms at start-up, more than listing 1000 devices takes to sort).
 */
export function compareNames(a: string, b: string): number {
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(j)
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i
      let ej = j
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++
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

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}
