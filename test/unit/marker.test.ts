/** The managed marker and the link group: what apply writes into every device it manages. */
import {linkGroupOf, managedMarker} from '../../src/services/apply'
import {IFALIASZ} from '../../src/model/limits'

describe('managedMarker', () => {
  test('a path fits as it is, up to the kernel\'s IFALIASZ with its NUL', () => {
    const path = '/' + 'a'.repeat(IFALIASZ - 1 - 'tunadm:'.length - 1)
    expect(managedMarker(path)).toBe(`tunadm:${path}`)
    expect(Buffer.byteLength(managedMarker(path))).toBe(IFALIASZ - 1)
  })

  test('one byte more, multi-byte text, or a control character: a stable digest instead', () => {
    const long = '/' + 'a'.repeat(IFALIASZ - 'tunadm:'.length - 1)
    for (const p of [long, '/etc/tunadm/' + 'é'.repeat(130), '/etc/tunadm/a\nb.yaml', '/etc/\x1b[31m.yaml']) {
      const m = managedMarker(p)
      expect(m).toMatch(/^tunadm:sha256:[0-9a-f]{64}$/)
      expect(managedMarker(p)).toBe(m)
    }
    expect(managedMarker(long)).not.toBe(managedMarker(long + 'x'))
  })
})

describe('linkGroupOf', () => {
  test('link_group from the file wins', () => {
    expect(linkGroupOf({linkGroup: 7}, 'tunadm:/x')).toBe(7)
  })

  test('by default a stable number from the marker, never 0 and clear of small hand-picked groups', () => {
    const seen = new Set<number>()
    for (let i = 0; i < 500; i++) {
      const g = linkGroupOf({}, `tunadm:/etc/tunadm/${i}.yaml`)
      expect(g).toBeGreaterThanOrEqual(0x80000000)
      expect(g).toBeLessThanOrEqual(0xfffffffe)
      seen.add(g)
    }
    expect(seen.size).toBe(500)
    expect(linkGroupOf({}, 'tunadm:/a')).toBe(linkGroupOf({}, 'tunadm:/a'))
  })
})
