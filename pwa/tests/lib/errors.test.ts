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
    expect(errorMessage(t, e)).toBe('填写的内容有误（姓名：有误；联系电话：有误）')
    const coded = new ApiError(422, 'validation_error', 'bad', { notes: ['Longer than maximum length 2000.'], colour: ['Unknown field.'] },
      { notes: ['too_long'], colour: ['unknown_field'] })
    expect(errorMessage(t, coded)).toBe('填写的内容有误（备注：不能超过2000个字；其他项：无法识别）')
    expect(errorMessage(t, new ApiError(0, 'network_error'))).toBe('网络不可用')
    expect(errorMessage(t, new ApiError(418, 'teapot'))).toBe('未知错误（teapot）')
    expect(errorMessage(t, new Error('boom'))).toBe('出现意外错误，请重试')
  })

  it('office: the office wording first, then the app\'s, else the office\'s unknown; the fields by label', () => {
    expect(errorMessage(t, new ApiError(409, 'invalid_transition'), 'office')).toBe('该走访已被审核（只能审核待审核的走访），请刷新后查看')
    expect(errorMessage(t, new ApiError(422, 'validation_error', 'x', { comment: ['required when returning'] }, { comment: ['required'] }), 'office'))
      .toBe('填写有误，请检查（意见：必填）')
    expect(errorMessage(t, new ApiError(409, 'visit_locked'), 'office')).toBe('走访已审核通过，不能再修改')
    expect(errorMessage(t, new ApiError(418, 'teapot'), 'office')).toBe('操作失败（teapot）')
    expect(errorMessage(t, new TypeError('boom'), 'office')).toBe('操作失败，请重试')
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
    expect(codeMessage(t, { code: 'validation_error', fields: { cash_cents: ['x'] }, field_codes: { cash_cents: ['out_of_range'] } }))
      .toBe('Some fields are invalid (Cash: out of range)')
  })
})

describe('codeMessage', () => {
  it('translates an outbox row\'s stored envelope, and nothing for none', () => {
    expect(codeMessage(t, { code: 'missing_attachment' })).toBe('服务器缺少照片或签名文件')
    expect(codeMessage(t, { code: 'not_found', fields: { id: ['x'] } })).toBe('记录不存在或不在你的管辖范围（编号：有误）')
    expect(codeMessage(t, {
      code: 'validation_error', message: 'Invalid record',
      fields: { location: { lat: ['Must be greater than or equal to -90 and less than or equal to 90.'] }, tags: { 0: ['Length must be between 1 and 32.'] } },
      field_codes: { location: { lat: ['out_of_range'] }, tags: { 0: ['too_long'] } },
    })).toBe('填写的内容有误（位置：超出允许范围；标签：不能超过32个字）')
    expect(codeMessage(t, null)).toBe('')
  })
})

describe('fieldLabel and fieldErrors', () => {
  it('labels a field through the i18n files, else by its name', () => {
    expect(fieldLabel(t, 'id_number', 'admin.import.fields')).toBe('身份证号')
    expect(fieldLabel(t, 'cash_cents', 'admin.import.fields')).toBe('慰问金')
    expect(fieldLabel(t, 'nonsense', 'admin.import.fields')).toBe('nonsense')
  })

  it('words each field\'s problems by their codes, with the limits the server named, and none for other errors', () => {
    const e = new ApiError(422, 'weak_password', 'x',
      { password: ['至少8位 / at least 8 characters', '需包含大写、小写、数字、符号中的至少3类 / use 3 of: lower, upper, digit, symbol'], b: 'three' },
      { password: ['too_short', 'password_classes'], b: ['no_such_code'] })
    expect(fieldErrors(t, e)).toEqual({ password: ['至少8个字符', '需包含大写、小写、数字、符号中的至少3类'], b: ['有误'] })
    expect(fieldErrors(t, new ApiError(422, 'validation_error', 'x', { a: ['old answer'] }))).toEqual({ a: ['有误'] })
    expect(fieldErrors(t, new Error('x'))).toEqual({})
  })
})
