// Secrets that main's built-in catalogue recognises today. Other rule ids may come and go
// as the catalogue grows, so the tests depend on these two only.

/** A GitHub classic token with a valid checksum. */
export const GITHUB = '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'
export const GITHUB_LABEL = '[REDACTED:github_classic_token]'

/** An AWS access key id. */
export const AWS = 'AKIA7QX2M4RB5KQ3YHV6'
export const AWS_LABEL = '[REDACTED:aws_access_key_id]'

/** Asserts that no raw secret survived in `text`. */
export function assertClean(assert, text) {
  assert.ok(!text.includes(GITHUB), 'GitHub token leaked')
  assert.ok(!text.includes(AWS), 'AWS key leaked')
}
