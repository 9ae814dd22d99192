import 'fake-indexeddb/auto'
import { enableAutoUnmount } from '@vue/test-utils'
import { afterEach } from 'vitest'

// A component left mounted keeps Vant's timers running after happy-dom's window is gone ("window is not defined").
enableAutoUnmount(afterEach)
