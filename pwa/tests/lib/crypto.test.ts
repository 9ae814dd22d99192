import { describe, expect, it } from 'vitest'
import {
  PBKDF2_ITERATIONS, WrongPassword, cipherFor, newDataKey, open, openDataKey, rewrapDataKey, seal,
} from '../../src/lib/crypto'

const text = new TextEncoder()
const utf8 = (s: string) => text.encode(s)

/** Does `haystack` hold `needle` as a run of bytes? */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

const decode = (b: ArrayBuffer) => new TextDecoder().decode(b)

describe('the data key and its wrapping (PBKDF2-SHA256 → AES-GCM)', () => {
  it('is wrapped with at least 600,000 iterations and a random salt, never stored in the clear', async () => {
    expect(PBKDF2_ITERATIONS).toBeGreaterThanOrEqual(600_000)
    const a = await newDataKey('Demo@2026')
    const b = await newDataKey('Demo@2026')
    expect(a.wrapped.iterations).toBe(PBKDF2_ITERATIONS)
    expect(a.wrapped.salt).toHaveLength(16)
    expect(a.wrapped.iv).toHaveLength(12)
    expect(a.wrapped.wrapped).toHaveLength(32 + 16) // a 256-bit key and its GCM tag
    expect(a.wrapped.salt).not.toEqual(b.wrapped.salt)
    expect(a.wrapped.wrapped).not.toEqual(b.wrapped.wrapped)
    // The key in use cannot be read out.
    expect(a.key.extractable).toBe(false)
    await expect(crypto.subtle.exportKey('raw', a.key)).rejects.toThrow()
  })

  it('the right password unwraps the same key: what one sealed the other opens', async () => {
    const { key, wrapped } = await newDataKey('Demo@2026')
    const { key: again } = await openDataKey(wrapped, 'Demo@2026')
    const sealed = await seal(key, utf8('张三 13912345678'), 'recipients')
    expect(decode(await open(again, sealed, 'recipients'))).toBe('张三 13912345678')
  })

  it('a wrong password never unwraps it', async () => {
    const { wrapped } = await newDataKey('Demo@2026')
    await expect(openDataKey(wrapped, 'Demo@2027')).rejects.toBeInstanceOf(WrongPassword)
    await expect(openDataKey(wrapped, '')).rejects.toBeInstanceOf(WrongPassword)
  })

  it('a wrapped key with one byte changed does not unwrap, even with the right password', async () => {
    const { wrapped } = await newDataKey('Demo@2026')
    const bad = new Uint8Array(wrapped.wrapped)
    bad[5] ^= 1
    await expect(openDataKey({ ...wrapped, wrapped: bad }, 'Demo@2026')).rejects.toBeInstanceOf(WrongPassword)
  })

  it('a password change rewraps the same key: the new password opens old records, the old one nothing', async () => {
    const { key, wrapped } = await newDataKey('Old#2026a')
    const sealed = await seal(key, utf8('走访记录'), 'visits')
    const next = await rewrapDataKey(wrapped, 'Old#2026a', 'New#2026b')
    expect(next.wrapped.salt).not.toEqual(wrapped.salt)
    expect(decode(await open(next.key, sealed, 'visits'))).toBe('走访记录')
    expect(decode(await open((await openDataKey(next.wrapped, 'New#2026b')).key, sealed, 'visits'))).toBe('走访记录')
    await expect(openDataKey(next.wrapped, 'Old#2026a')).rejects.toBeInstanceOf(WrongPassword)
    await expect(rewrapDataKey(wrapped, 'Wrong#2026', 'New#2026b')).rejects.toBeInstanceOf(WrongPassword)
  })
})

describe('sealing (AES-GCM)', () => {
  it('the sealed bytes hold none of the plain text, and the same text seals differently each time', async () => {
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    const plain = JSON.stringify({ name: '王建国', phone: '13912345678', address: '东关村12号', notes: '老人身体尚可' })
    const a = await seal(key, utf8(plain), 'recipients')
    const b = await seal(key, utf8(plain), 'recipients')
    for (const part of ['王建国', '13912345678', '东关村12号', '老人身体尚可', 'name', 'phone']) {
      expect(contains(a, utf8(part)), part).toBe(false)
    }
    expect(a).not.toEqual(b) // a fresh IV every time
    expect(a.length).toBe(12 + utf8(plain).length + 16)
    expect(decode(await open(key, a, 'recipients'))).toBe(plain)
  })

  it('a changed byte, another store or another key does not open', async () => {
    const gen = () => crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    const [key, other] = await Promise.all([gen(), gen()])
    const sealed = await seal(key, utf8('身份证号'), 'outbox')
    const flipped = new Uint8Array(sealed)
    flipped[20] ^= 0x80
    await expect(open(key, flipped, 'outbox')).rejects.toThrow()
    await expect(open(key, sealed, 'drafts')).rejects.toThrow()
    await expect(open(other, sealed, 'outbox')).rejects.toThrow()
  })

  it('a cipher seals and opens for one user', async () => {
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    const cipher = cipherFor('7', key)
    expect(cipher.userId).toBe('7')
    expect(decode(await cipher.open(await cipher.seal(utf8('照片'), 'attachments'), 'attachments'))).toBe('照片')
  })
})
