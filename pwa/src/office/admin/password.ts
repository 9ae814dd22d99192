/** Temporary passwords an admin hands over: 12 characters with all four classes, no look-alike characters. */
const SETS = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnpqrstuvwxyz', '23456789', '@#%+=!?']

function pick(set: string, random: Uint32Array, i: number): string {
  return set[random[i] % set.length]
}

export function temporaryPassword(length = 12): string {
  const random = crypto.getRandomValues(new Uint32Array(length * 2))
  const all = SETS.join('')
  const chars = SETS.map((set, i) => pick(set, random, i))
  for (let i = chars.length; i < length; i++) chars.push(pick(all, random, i))
  // Shuffle (Fisher–Yates) so the guaranteed classes are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = random[length + i] % (i + 1)
    ;[chars[i], chars[j]] = [chars[j], chars[i]]
  }
  return chars.join('')
}
