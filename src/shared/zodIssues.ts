// How validation problems read everywhere in the studio: `classes[3].color: colours are
// #rrggbb; name: required` — each zod issue with its JSON path ('(root)' for the whole value).
import type { z } from 'zod'

type Issues = z.ZodError | readonly z.core.$ZodIssue[]

/** `a.b[2].c` for a zod issue path; '(root)' when empty. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else out += out ? `.${String(key)}` : String(key)
  }
  return out || '(root)'
}

/** One `path: message` line per issue. */
export function issueLines(issues: Issues): string[] {
  const list = 'issues' in issues ? issues.issues : issues
  return list.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`)
}

/** Every issue as `path: message`, joined with '; '. */
export function formatIssues(issues: Issues): string {
  return issueLines(issues).join('; ')
}
