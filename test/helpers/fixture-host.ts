/**
 * A Host over a fixture tree. A character device cannot live in git, so /dev/net/tun is described by
 * dev/net/tun.json ({mode, uid, gid, char, major, minor}); everything else is read from the tree.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {Host} from '../../src/system/host'

export const DOCTOR_FIXTURES = path.join(__dirname, '..', 'fixtures', 'doctor')

export class FixtureHost extends Host {
  stat(p: string): fs.Stats | undefined {
    if (p !== '/dev/net/tun') return super.stat(p)
    const text = this.read('/dev/net/tun.json')
    if (!text) return undefined
    const d = JSON.parse(text) as {mode: string; uid: number; gid: number; char: boolean; major: number; minor: number}
    const type = d.char ? fs.constants.S_IFCHR : fs.constants.S_IFREG
    return {mode: type | parseInt(d.mode, 8), uid: d.uid, gid: d.gid, rdev: (d.major << 8) | d.minor, isCharacterDevice: () => d.char} as unknown as fs.Stats
  }
}

/** A copy of fixtures/doctor/base with files replaced (string) or removed (null). Removed by cleanupTrees(). */
const made: string[] = []
export function fixtureTree(overrides: Record<string, string | null> = {}): FixtureHost {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-doctor-'))
  made.push(dir)
  fs.cpSync(path.join(DOCTOR_FIXTURES, 'base'), dir, {recursive: true, verbatimSymlinks: true})
  for (const [rel, content] of Object.entries(overrides)) {
    const file = path.join(dir, rel)
    if (content === null) {
      fs.rmSync(file, {force: true, recursive: true})
    } else {
      fs.mkdirSync(path.dirname(file), {recursive: true})
      fs.writeFileSync(file, content)
    }
  }
  return new FixtureHost(dir)
}

export function cleanupTrees(): void {
  for (const d of made.splice(0)) fs.rmSync(d, {recursive: true, force: true})
}

export const NODE = (mode: string, gid = 0) => JSON.stringify({mode, uid: 0, gid, char: true, major: 10, minor: 200})
export const STATUS = (uid: number, capEff: string, groups = '') => `Name:\tnode\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nGid:\t${uid}\t${uid}\t${uid}\t${uid}\nGroups:\t${groups}\nCapEff:\t${capEff}\n`
