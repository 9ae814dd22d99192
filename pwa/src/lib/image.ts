/** Photo compression on the device: JPEG, longest side ≤ 1600 px, about 300 KB. */
const MAX_SIDE = 1600
const TARGET_BYTES = 300 * 1024

function toBlob(canvas: HTMLCanvasElement, quality: number): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob failed'))), 'image/jpeg', quality))
}

export async function compressImage(file: Blob): Promise<Blob> {
  const bitmap = await createImageBitmap(file)
  const { width, height } = bitmap
  // A JPEG that already fits is kept byte for byte (no second generation loss).
  if (file.type === 'image/jpeg' && Math.max(width, height) <= MAX_SIDE && file.size <= TARGET_BYTES * 1.2) {
    bitmap.close?.()
    return file
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height))
  const canvas = document.createElement('canvas')
  canvas.width = Math.round(width * scale)
  canvas.height = Math.round(height * scale)
  const ctx = canvas.getContext('2d')
  if (!ctx) throw new Error('no canvas')
  ctx.fillStyle = '#fff'
  ctx.fillRect(0, 0, canvas.width, canvas.height)
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height)
  bitmap.close?.()
  let quality = 0.82
  let blob = await toBlob(canvas, quality)
  while (blob.size > TARGET_BYTES && quality > 0.4) {
    quality -= 0.12
    blob = await toBlob(canvas, quality)
  }
  return blob
}

export function dataUrlToBlob(dataUrl: string): Blob {
  const [head, body] = dataUrl.split(',')
  const mime = /data:([^;]+)/.exec(head)?.[1] ?? 'image/png'
  const bin = atob(body)
  const bytes = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
  return new Blob([bytes], { type: mime })
}
