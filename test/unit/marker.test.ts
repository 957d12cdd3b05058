/** The managed marker and the link group: what apply writes into every device it manages. */
import {DERIVED_GROUP_MIN, LINK_GROUP_MAX, derivedGroup, idMarker, idProblem, isOldPipeMarker, pathMarker} from '../../src/model/identity'
import {IFALIASZ} from '../../src/model/limits'

describe('pathMarker', () => {
  test('a path fits as it is, up to the kernel\'s IFALIASZ with its NUL', () => {
    const path = '/' + 'a'.repeat(IFALIASZ - 1 - 'tunadm:'.length - 1)
    expect(pathMarker(path)).toBe(`tunadm:${path}`)
    expect(Buffer.byteLength(pathMarker(path))).toBe(IFALIASZ - 1)
  })

  test('one byte more, multi-byte text, or a control character: a stable digest instead', () => {
    const long = '/' + 'a'.repeat(IFALIASZ - 'tunadm:'.length - 1)
    for (const p of [long, '/etc/tunadm/' + 'é'.repeat(130), '/etc/tunadm/a\nb.yaml', '/etc/\x1b[31m.yaml']) {
      const m = pathMarker(p)
      expect(m).toMatch(/^tunadm:sha256:[0-9a-f]{64}$/)
      expect(pathMarker(p)).toBe(m)
    }
    expect(pathMarker(long)).not.toBe(pathMarker(long + 'x'))
  })
})

describe('explicit ids', () => {
  test('a name of letters, digits and . _ @ + -; never a path or with a colon, so never another kind of marker', () => {
    for (const ok of ['vmhost', 'web-1', 'a', 'x.y_z@h+1', 'A'.repeat(64)]) expect(idProblem(ok)).toBeUndefined()
    for (const bad of ['', '/etc/x.yaml', 'a:b', 'sha256:00', '-x', '.x', 'a b', 'é', 'A'.repeat(65), '(anonymous)']) expect(idProblem(bad)).toMatch(/expected 1 to 64 letters/)
    expect(idMarker('vmhost')).toBe('tunadm:vmhost')
  })

  test('markers earlier versions wrote for pipes name no config', () => {
    for (const m of ['tunadm:/dev/stdin', 'tunadm:/dev/fd/63', 'tunadm:/proc/self/fd/0', 'tunadm:/proc/1234/fd/5']) expect(isOldPipeMarker(m)).toBe(true)
    for (const m of ['tunadm:/etc/tunadm/tunadm.yaml', 'tunadm:/dev/fd/63x', 'tunadm:vmhost']) expect(isOldPipeMarker(m)).toBe(false)
  })
})

describe('derivedGroup', () => {
  test('a stable number every iproute2 reads, clear of small hand-picked groups, spread over the range', () => {
    const seen = new Set<number>()
    for (let i = 0; i < 500; i++) {
      const g = derivedGroup(`tunadm:/etc/tunadm/${i}.yaml`)
      expect(g).toBeGreaterThanOrEqual(DERIVED_GROUP_MIN)
      expect(g).toBeLessThanOrEqual(LINK_GROUP_MAX)
      seen.add(g)
    }
    expect(seen.size).toBe(500)
    expect(derivedGroup('tunadm:/a')).toBe(derivedGroup('tunadm:/a'))
  })

  test('the next candidates follow, and wrap inside the range', () => {
    const g = derivedGroup('tunadm:/a')
    expect(derivedGroup('tunadm:/a', 1)).toBe(g === LINK_GROUP_MAX ? DERIVED_GROUP_MIN : g + 1)
    for (let attempt = 0; attempt < 3000; attempt += 97) {
      const c = derivedGroup('tunadm:/a', attempt)
      expect(c >= DERIVED_GROUP_MIN && c <= LINK_GROUP_MAX).toBe(true)
    }
  })
})
