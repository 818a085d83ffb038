"""A socket's event loop (consumers.inbox.dispatch_from): one event at a time, in order, nothing left running."""

import asyncio

import pytest

from consumers.inbox import dispatch_from


class Stop(Exception):
    pass


async def test_events_from_both_sources_are_handled_one_at_a_time_in_arrival_order():
    client, layer = asyncio.Queue(), asyncio.Queue()
    handled, running, most_at_once = [], 0, 0

    async def dispatch(event):
        nonlocal running, most_at_once
        running += 1
        most_at_once = max(most_at_once, running)
        await asyncio.sleep(0)  # a handler that yields: the other source's event must wait for it
        handled.append(event)
        running -= 1
        if event == "stop":
            raise Stop

    loop = asyncio.create_task(dispatch_from([client.get, layer.get], dispatch))
    for i in range(50):
        layer.put_nowait(f"relay {i}")
        if i % 3 == 0:
            client.put_nowait(f"frame {i}")
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    client.put_nowait("stop")
    with pytest.raises(Stop):
        await asyncio.wait_for(loop, 1)
    assert most_at_once == 1
    assert [e for e in handled if e.startswith("relay")] == [f"relay {i}" for i in range(50)]
    assert [e for e in handled if e.startswith("frame")] == [f"frame {i}" for i in range(0, 50, 3)]
    assert handled[-1] == "stop"


async def test_when_dispatch_stops_the_other_read_is_cancelled_and_its_event_stays_queued():
    client, layer = asyncio.Queue(), asyncio.Queue()

    async def dispatch(event):
        raise Stop

    loop = asyncio.create_task(dispatch_from([client.get, layer.get], dispatch))
    await asyncio.sleep(0)
    client.put_nowait("disconnect")
    with pytest.raises(Stop):
        await asyncio.wait_for(loop, 1)
    layer.put_nowait("late relay")
    await asyncio.sleep(0.01)
    assert layer.get_nowait() == "late relay"  # nobody is still reading the layer


async def test_a_failing_source_ends_the_loop_with_its_error():
    async def broken():
        raise ConnectionError("gone")

    handled = []

    async def dispatch(event):
        handled.append(event)

    with pytest.raises(ConnectionError):
        await asyncio.wait_for(dispatch_from([broken, asyncio.Queue().get], dispatch), 1)
    assert handled == []
