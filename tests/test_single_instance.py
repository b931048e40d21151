"""A second launch brings the first window forward instead of opening another copy."""

from orchid_desktop.ui.single_instance import SingleInstance


def test_a_second_instance_asks_the_first_to_show_itself(qtbot, tmp_path):
    first = SingleInstance(tmp_path)
    assert first.acquire()
    second = SingleInstance(tmp_path)
    with qtbot.waitSignal(first.activation_requested, timeout=5000):
        assert not second.acquire()
    first.release()
    third = SingleInstance(tmp_path)
    assert third.acquire()  # free again once the first has gone
    third.release()


def test_instances_with_different_folders_do_not_collide(tmp_path):
    a, b = SingleInstance(tmp_path / "a"), SingleInstance(tmp_path / "b")
    assert a.acquire() and b.acquire()
    a.release()
    b.release()
