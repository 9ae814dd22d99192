import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, ref } from 'vue'
import { mount } from '@vue/test-utils'
import VisitFormSignature from '../src/components/VisitFormSignature.vue'
import { keepDrawnSignatures } from '../src/composables/useDrawnSignature'
import { getAttachment } from '../src/db/attachments'
import { i18n } from '../src/i18n'
import { freshDb, jpegBlob } from './helpers'

// happy-dom has no 2D canvas: a context that accepts the calls the pad makes, and a toBlob that gives a JPEG.
function fakeCanvas() {
  const ctx = new Proxy({}, { get: (_, k) => (k === 'getImageData' ? () => ({}) : () => undefined), set: () => true })
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(ctx as never)
  vi.spyOn(HTMLCanvasElement.prototype, 'toBlob').mockImplementation((cb: BlobCallback) => cb(jpegBlob(3)))
}

function mountPad() {
  const model = ref<string | null>(null)
  const Host = defineComponent({
    setup: () => () => h(VisitFormSignature, { userId: '1', modelValue: model.value, 'onUpdate:modelValue': (v: string | null) => (model.value = v) }),
  })
  return { model, w: mount(Host, { global: { plugins: [i18n] }, attachTo: document.body }) }
}

function stroke(canvas: Element, pointerType = 'mouse') {
  const at = (type: string, x: number) => canvas.dispatchEvent(new PointerEvent(type, { pointerId: 7, pointerType, clientX: x, clientY: 20, button: 0, bubbles: true }))
  at('pointerdown', 10)
  at('pointermove', 30)
  at('pointermove', 60)
  at('pointerup', 60)
}

describe('VisitFormSignature', () => {
  beforeEach(async () => {
    await freshDb()
    fakeCanvas()
  })
  afterEach(() => vi.restoreAllMocks())

  it('keeps a drawing nobody confirmed when the form saves', async () => {
    const { model, w } = mountPad()
    stroke(w.find('[data-test=signature-pad] canvas').element, 'pen')
    await keepDrawnSignatures()
    expect(model.value).toMatch(/^[0-9a-f]{64}$/)
    expect((await getAttachment(model.value!))?.mime).toBe('image/jpeg')
    w.unmount()
  })

  it('keeps nothing when nothing was drawn, and forgets an unmounted pad', async () => {
    const { model, w } = mountPad()
    await keepDrawnSignatures()
    expect(model.value).toBeNull()
    stroke(w.find('[data-test=signature-pad] canvas').element)
    w.unmount()
    await keepDrawnSignatures() // the pad is gone: its drawing went with it
    expect(model.value).toBeNull()
  })
})
