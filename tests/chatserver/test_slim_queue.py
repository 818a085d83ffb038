"""The slim per-socket queue and event behave as asyncio's do for what Uvicorn and the pub/sub layer use."""

import asyncio

import pytest

from chatserver.slim_queue import SlimEvent, SlimQueue


async def test_items_come_out_in_the_order_they_went_in():
    queue = SlimQueue()
    assert queue.empty()
    for i in range(5):
        queue.put_nowait(i)
    assert queue.qsize() == 5
    assert [await queue.get() for _ in range(5)] == [0, 1, 2, 3, 4]
    assert queue.empty()
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


async def test_a_waiting_reader_is_woken_by_a_put():
    queue = SlimQueue()
    reader = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not reader.done()
    queue.put_nowait("frame")
    assert await asyncio.wait_for(reader, 1) == "frame"


async def test_several_readers_each_get_one_item():
    queue = SlimQueue()
    readers = [asyncio.create_task(queue.get()) for _ in range(3)]
    await asyncio.sleep(0)
    for item in "abc":
        queue.put_nowait(item)
    assert sorted(await asyncio.wait_for(asyncio.gather(*readers), 1)) == ["a", "b", "c"]


async def test_a_reader_cancelled_after_being_woken_passes_the_item_on():
    queue = SlimQueue()
    first = asyncio.create_task(queue.get())
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("only")  # wakes `first`…
    first.cancel()  # …which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await asyncio.wait_for(second, 1) == "only"


async def test_a_cancelled_reader_leaves_nothing_behind():
    queue = SlimQueue()
    reader = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    queue.put_nowait("later")
    assert await queue.get() == "later"


async def test_event_wakes_every_waiter_and_stays_set_until_cleared():
    event = SlimEvent()
    assert not event.is_set()
    waiters = [asyncio.create_task(event.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    event.set()
    assert await asyncio.wait_for(asyncio.gather(*waiters), 1) == [True, True, True]
    assert await event.wait() is True  # set: returns at once
    event.clear()
    late = asyncio.create_task(event.wait())
    await asyncio.sleep(0)
    assert not late.done()
    late.cancel()
    with pytest.raises(asyncio.CancelledError):
        await late
    event.set()
    assert event.is_set()


def test_a_listener_is_called_on_each_put_and_the_items_wait_for_it():
    queue, calls = SlimQueue(), []
    queue.listen(lambda: calls.append(queue.qsize()))
    queue.put_nowait("a")
    queue.put_nowait("b")
    assert calls == [1, 2] and [queue.get_nowait(), queue.get_nowait()] == ["a", "b"]
    queue.listen(None)
    queue.put_nowait("c")
    assert calls == [1, 2] and queue.qsize() == 1
