/** The resident ID number check of GB 11643 as the server applies it (server/domain/recipients.py): one
 * implementation, used by the record rules (rule `id_number_gb11643`) and by `isValidIdNumber`. Kept apart
 * from rules.ts so a screen that only formats never loads the generated rules. */

export interface IdNumberError {
  key: string
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

/** GB 11643-1999: why an 18-character resident ID number is invalid (undefined: valid), as the server says. */
export function idNumberError(value: string, today = new Date()): IdNumberError | undefined {
  if ([...value].length !== 18) return { key: 'rules.idNumber.length' }
  if (!/^\d{17}[\dX]$/.test(value)) return { key: 'rules.idNumber.format' }
  const [y, m, d] = [+value.slice(6, 10), +value.slice(10, 12), +value.slice(12, 14)]
  const born = new Date(Date.UTC(y, m - 1, d))
  const todayUtc = Date.UTC(today.getFullYear(), today.getMonth(), today.getDate())
  if (y < 1900 || born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d || born.getTime() > todayUtc) {
    return { key: 'rules.idNumber.birthDate' }
  }
  const sum = ID_WEIGHTS.reduce((acc, w, i) => acc + w * Number(value[i]), 0)
  return '10X98765432'[sum % 11] === value[17] ? undefined : { key: 'rules.idNumber.checkDigit' }
}

