import { beforeEach, describe, expect, it, vi } from 'vitest'
import * as pinyinPro from 'pinyin-pro'
// @ts-expect-error -- pinyin-pro ships its surname table (an exported path) without types
import Surnames from 'pinyin-pro/dist/esm/data/surname.mjs'
import { buildNameIndex, matchesName, sortReading } from '../../src/lib/search'

vi.mock('pinyin-pro', async (original) => {
  const real = await original<typeof import('pinyin-pro')>()
  return { ...real, polyphonic: vi.fn(real.polyphonic), match: vi.fn(real.match) }
})

// Names like a township's roster (the bench's generator), and the awkward ones: polyphonic surnames, ü, a space,
// Latin letters, a compound surname, a character outside the BMP, repeated names.
function fixture(): string[] {
  let seed = 42
  const rnd = (n: number) => (seed = (seed * 16807) % 2147483647) % n
  const surnames = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗'
  const given = '建国军华明英秀兰德福志强海平玉梅桂芳春生'
  const names = Array.from({ length: 300 }, () => surnames[rnd(20)] + given[rnd(20)] + given[rnd(20)])
  return [...names, '张三', '李四', '单田芳', '曾国藩', '吕女', '欧阳修', '张 三', 'Anna李', '解长生', '仇𠀾', '张三', '乐乐', '重阳']
}

const QUERIES = ['zs', 'zhangs', 'zhangsan', 'zhang san', ' ZS ', 'zsan', 'z', 'zh', 'zha', 'l', 'li', 'lin', 'lv', 'lu', 'nv', 'ny',
  'shan', 'dan', 'stf', 'zeng', 'ceng', 'zgf', 'oyx', 'ouyangxiu', 'yx', 'xie', 'jie', 'jcs', 'qiu', 'chou', 'yue', 'le', 'll',
  'anna', 'annal', 'anna l', 'annali', 'a', 'jg', 'jianguo', 'guoh', 'wjg', 'wangjianguo', 'ming', 'mg', 'xyz', 'q', 'chongyang',
  'zy', '张', '三', '张三', '张 三', '国', '建国', '王建', '𠀾', '1', 'zs1', 'zhuang', 'shuang', 'hm', 'hua', 'huam', 'gjh']

describe('name index', () => {
  beforeEach(() => vi.clearAllMocks())

  it('finds exactly what the old per-record match found, for every query on the fixture', () => {
    const names = fixture()
    const index = buildNameIndex(names, (n) => n)
    const queries = [...QUERIES]
    for (const a of 'abcdefghijklmnopqrstuvwxyz') for (const b of 'aeghinouz') queries.push(a + b)
    for (const q of queries) {
      const want = index.items.filter((n) => matchesName(n, q))
      expect(index.search(q), q).toEqual(want)
    }
    // Typed one letter at a time (each answer narrows the last), and then cleared.
    for (const word of ['zhangsan', 'wangjianguo', 'ouyangxiu', 'lizs']) {
      for (let i = 1; i <= word.length; i++) {
        const q = word.slice(0, i)
        expect(index.search(q), q).toEqual(index.items.filter((n) => matchesName(n, q)))
      }
      expect(index.search('')).toEqual(index.items)
    }
  })

  it('finds 张三 by initials, full pinyin and characters, and 李四 by none of them', () => {
    const index = buildNameIndex(['李四', '张三'], (n) => n)
    for (const q of ['zs', 'zhangsan', 'zhang san', '张', 'ZS']) expect(index.search(q), q).toEqual(['张三'])
    expect(index.search('ls')).toEqual(['李四'])
  })

  it('reads every name once when built; a keystroke asks pinyin-pro nothing', () => {
    const names = fixture()
    const index = buildNameIndex(names, (n) => n)
    expect(vi.mocked(pinyinPro.polyphonic).mock.calls.length).toBeGreaterThan(0)
    vi.clearAllMocks()
    for (const q of ['z', 'zh', 'zha', 'zhan', 'zhang', 'zs', '张', 'wjg', '']) index.search(q)
    expect(pinyinPro.polyphonic).not.toHaveBeenCalled()
    expect(pinyinPro.match).not.toHaveBeenCalled()
  })

  it('looks each distinct character up once, however many names share it', () => {
    const names = Array.from({ length: 1000 }, (_, i) => (i % 2 ? '张三' : '李四'))
    buildNameIndex(names, (n) => n)
    expect(pinyinPro.polyphonic).toHaveBeenCalledTimes(4)
  })

  it("reads every single-character surname as pinyin-pro's surname table does", () => {
    const toneless = (s: string) => s.normalize('NFD').replace(/u\u0308/g, 'v').replace(/[\u0300-\u036f]/g, '')
    const table = Object.entries(Surnames as Record<string, string>).filter(([k]) => [...k].length === 1)
    expect(table.length).toBeGreaterThan(400)
    for (const [char, reading] of table) expect(sortReading(char, true), char).toBe(toneless(reading))
    expect(sortReading('单', false)).toBe('dan')
    expect(sortReading('吕', false)).toBe('lv')
  })

  it('sorts by pinyin, reading the surname as a surname, and keeps equal names in roster order', () => {
    const people = ['赵六', '单田芳', '阿明', '张三', '曾国藩', '李四', '李思', '林', '张三'].map((name, i) => ({ name, id: i }))
    const index = buildNameIndex(people, (p) => p.name)
    expect(index.items.map((p) => p.name)).toEqual(['阿明', '李四', '李思', '林', '单田芳', '曾国藩', '张三', '张三', '赵六']) // 单 shan, 曾 zeng: read as surnames
    expect(index.items.filter((p) => p.name === '张三').map((p) => p.id)).toEqual([3, 8])
  })
})
