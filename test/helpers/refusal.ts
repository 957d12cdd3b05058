import {TunadmError} from '../../src/errors'

/** The TunadmError `fn` throws (a refusal), for assertions on its code, message and fix. */
export function refusal(fn: () => unknown): TunadmError {
  try {
    fn()
  } catch (err) {
    if (err instanceof TunadmError) return err
    throw err
  }
  throw new Error('expected a refusal')
}
