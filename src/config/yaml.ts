/**
 * The YAML library, loaded on first use. From the build it is a bundle of its own (dist/yaml.js, with its
 * code cache), loaded by bin/run.js's loader: the hot commands that read no config (add, list...) do not
 * read its 230 kB at every start. Run from the sources (the tests), it is the package.
 */
type Yaml = typeof import('yaml')

export function loadYaml(): Yaml {
  const load = (module as {tunadmLoad?: (name: string) => unknown}).tunadmLoad
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return (load ? load('yaml') : require('yaml')) as Yaml
}
