/** A signature drawn on the pad but not confirmed still counts: the pad registers how to keep it, the form's save asks. */
import { onBeforeUnmount } from 'vue'

const pads = new Set<() => Promise<void>>()

/** Called by a signature pad in its setup: `keep` stores what is drawn (a no-op when nothing is). */
export function registerDrawnSignature(keep: () => Promise<void>): void {
  pads.add(keep)
  onBeforeUnmount(() => pads.delete(keep))
}

/** Before a form validates and saves: every open pad stores its unconfirmed drawing into its model. */
export async function keepDrawnSignatures(): Promise<void> {
  await Promise.all([...pads].map((keep) => keep()))
}
