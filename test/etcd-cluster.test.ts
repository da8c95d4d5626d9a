// The etcd store on a three-member etcd cluster: with any one member stopped the store still changes and a
// second store still sees the change (the client and its watch move to a live member); the member comes back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEtcd, type EtcdCluster } from './helpers/etcd.js';
import { waitFor } from '../src/util/wait.js';
import { svc } from '../src/control/store/contract.js';
import { openStore, parseStoreSpec } from '../src/control/store/open.js';

let etcd: EtcdCluster;
before(async () => {
  etcd = await startEtcd({ members: 3 });
});
after(async () => {
  await etcd?.close();
});

test('etcd cluster: the store keeps working, and following, while one member at a time is down', async () => {
  const spec = parseStoreSpec(etcd.storeUrl(`/weft-cluster-${process.pid}/`), '/unused');
  const [a, b] = [await openStore(spec), await openStore(spec)];
  try {
    let rev = 0;
    for (const down of [0, 1, 2]) {
      await etcd.stop(down);
      const started = Date.now();
      const ch = await a.apply([svc(`while-m${down}-down`)]);
      assert.equal(ch.revision, ++rev);
      await waitFor(`the other store to see revision ${rev} with member ${down} down`, () => b.revision === rev, 20_000);
      console.log(`# member m${down} down: change made and seen by the other store in ${Date.now() - started} ms`);
      await etcd.restart(down);
    }
    assert.deepEqual(b.list().map((o) => o.key), ['Service//while-m0-down', 'Service//while-m1-down', 'Service//while-m2-down']);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
