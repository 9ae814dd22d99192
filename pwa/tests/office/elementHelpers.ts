/** Helpers for console components on Element Plus: its dialogs and dropdowns render in <body>, outside the wrapper. */
import { vi } from 'vitest'
import { DOMWrapper, flushPromises, type VueWrapper } from '@vue/test-utils'

/** The first element in the whole document matching `selector` (teleported dialogs and dropdowns included). */
export function inBody(selector: string): DOMWrapper<Element> {
  return new DOMWrapper(document.body.querySelector(selector) as Element)
}

/** Wait until `selector` is in the document (a dialog renders its content a moment after it opens). */
export async function shown(selector: string): Promise<DOMWrapper<Element>> {
  await vi.waitFor(() => {
    if (!document.body.querySelector(selector)) throw new Error(`${selector} not shown yet`)
  }, { timeout: 5000 })
  return inBody(selector)
}

export function allInBody(selector: string): DOMWrapper<Element>[] {
  return [...document.body.querySelectorAll(selector)].map((el) => new DOMWrapper(el))
}

/** Choose the option labelled `label` in the select marked `data-test=testId`, by clicking it as a user would. */
export async function choose(w: VueWrapper | DOMWrapper<Element>, testId: string, label: string): Promise<void> {
  const input = w.find(`[data-test="${testId}"] input`)
  if (!input.exists()) throw new Error(`no select [data-test=${testId}]`)
  await w.find(`[data-test="${testId}"] .el-select__wrapper`).trigger('click')
  const listbox = document.getElementById(input.attributes('aria-controls') ?? '')
  const option = [...(listbox?.querySelectorAll('[role=option]') ?? [])].find((o) => o.textContent?.trim() === label)
  if (!option) throw new Error(`no option ${label} in [data-test=${testId}]: ${listbox?.textContent}`)
  ;(option as HTMLElement).click()
  await flushPromises()
}

/** The days a range picker marked `data-test=testId` shows (its two inputs). */
export function rangeShown(w: VueWrapper, testId: string): string[] {
  return w.findAll(`[data-test="${testId}"] input`).map((i) => (i.element as HTMLInputElement).value)
}

/** Rows of an Element Plus table that are shown (a tree table hides the rows of collapsed nodes). */
export function shownRows(w: VueWrapper | DOMWrapper<Element>, table: string): DOMWrapper<Element>[] {
  return w.findAll(`[data-test="${table}"] .el-table__body tr`).filter((r) => !/display:\s*none/.test(r.attributes('style') ?? ''))
}

/** Type both days into the range picker marked `data-test=testId` and press Enter, as a clerk at a keyboard would. */
export async function typeRange(w: VueWrapper, testId: string, from: string, to: string): Promise<void> {
  const [start, end] = w.findAll(`[data-test="${testId}"] input`)
  await start.trigger('focus')
  await start.setValue(from)
  await end.setValue(to)
  await end.trigger('keydown', { key: 'Enter', code: 'Enter' })
  await flushPromises()
}
