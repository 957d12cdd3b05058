/**
 * Help text as paragraphs: the source keeps lines short for reading, and oclif wraps to the terminal,
 * so lines of one paragraph are joined here (wrapping twice broke sentences at 80 and 100 columns).
 * A blank line separates paragraphs; a line indented by two spaces (a list item) stays a line.
 */
export function paragraphs(text: string): string {
  const out: string[] = []
  for (const line of text.split('\n')) {
    const last = out.length - 1
    const joinable = last >= 0 && out[last] !== '' && !out[last].startsWith('  ') && line !== '' && !line.startsWith('  ')
    if (joinable) out[last] += ` ${line.trim()}`
    else out.push(line.startsWith('  ') ? line : line.trim())
  }
  return out.join('\n')
}
