import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ApiError } from '../../src/lib/http'
import { codeMessage, errorMessage, fieldErrors, fieldLabel } from '../../src/lib/errors'
import { i18n, setLocale } from '../../src/i18n'
import { loadOfficeMessages } from '../../src/office/i18n'
import { loadAdminMessages } from '../../src/office/admin/i18n'

const { t } = i18n.global

beforeAll(async () => {
  await Promise.all([loadOfficeMessages(), loadAdminMessages()])
})
afterEach(async () => {
  await setLocale('zh-CN')
})

describe('errorMessage', () => {
  it('field app: the code\'s message and the fields the server named', () => {
    const e = new ApiError(422, 'validation_error', 'bad', { name: ['required'], phone: ['bad'] })
    expect(errorMessage(t, e)).toBe('填写的内容有误（问题字段：name, phone）')
    expect(errorMessage(t, new ApiError(0, 'network_error'))).toBe('网络不可用')
    expect(errorMessage(t, new ApiError(418, 'teapot'))).toBe('未知错误（teapot）')
    expect(errorMessage(t, new Error('boom'))).toBe('未知错误（boom）')
  })

  it('office: the office wording first, then the app\'s, else the office\'s unknown; no field list', () => {
    expect(errorMessage(t, new ApiError(409, 'invalid_transition'), 'office')).toBe('该走访已被审核（只能审核待审核的走访），请刷新后查看')
    expect(errorMessage(t, new ApiError(422, 'validation_error', 'x', { a: 1 }), 'office')).toBe('填写有误，请检查')
    expect(errorMessage(t, new ApiError(409, 'visit_locked'), 'office')).toBe('走访已审核通过，不能再修改')
    expect(errorMessage(t, new ApiError(418, 'teapot'), 'office')).toBe('操作失败（teapot）')
    expect(errorMessage(t, new TypeError('boom'), 'office')).toBe('操作失败（boom）')
  })

  it('admin: the admin wording first, then the app\'s, else the admin\'s unknown', () => {
    expect(errorMessage(t, new ApiError(409, 'code_taken'), 'admin')).toBe('区划代码已存在')
    expect(errorMessage(t, new ApiError(423, 'account_locked'), 'admin')).toBe('登录失败次数过多，账号已锁定 15 分钟')
    expect(errorMessage(t, new ApiError(418, 'teapot'), 'admin')).toBe('操作失败（teapot）')
  })

  it('follows the language', async () => {
    await setLocale('en')
    await Promise.all([loadOfficeMessages(), loadAdminMessages()])
    expect(errorMessage(t, new ApiError(0, 'network_error'))).toBe('Network unavailable')
    expect(errorMessage(t, new ApiError(0, 'network_error'), 'office')).toBe('No network: the office console works online')
    expect(errorMessage(t, new ApiError(0, 'network_error'), 'admin')).toBe('No network: these pages need a connection')
  })
})

describe('codeMessage', () => {
  it('translates an outbox row\'s stored envelope, and nothing for none', () => {
    expect(codeMessage(t, { code: 'missing_attachment' })).toBe('服务器缺少照片或签名文件')
    expect(codeMessage(t, { code: 'not_found', fields: { id: ['x'] } })).toBe('记录不存在或不在你的管辖范围（问题字段：id）')
    expect(codeMessage(t, null)).toBe('')
  })
})

describe('fieldLabel and fieldErrors', () => {
  it('labels a field through the i18n files, else by its name', () => {
    expect(fieldLabel(t, 'id_number', 'admin.import.fields')).toBe('身份证号')
    expect(fieldLabel(t, 'nonsense', 'admin.import.fields')).toBe('nonsense')
  })

  it('lists field errors as arrays of strings, and none for other errors', () => {
    const e = new ApiError(422, 'validation_error', 'x', { a: ['one', 'two'], b: 'three', c: { nested: 1 } })
    expect(fieldErrors(e)).toEqual({ a: ['one', 'two'], b: ['three'], c: ['{"nested":1}'] })
    expect(fieldErrors(new Error('x'))).toEqual({})
  })
})
