"""The status glossary: every status of volumes, snapshots, backups and attachments.

Generated from :mod:`cindersim.states` (the table every status change goes
through): for each status its meaning, where it comes from and where it goes,
each edge with the operations that use it.  ``cindersim statuses`` prints it
and ``docs/statuses.md`` is this text (a test regenerates and compares).
The meanings are written here, one line per status, in English and
Vietnamese; a status the table has and this module does not explain fails the
test, so the glossary cannot fall behind the machine.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..states import TABLE, Machine, legal_targets, machine_states

__all__ = ["MACHINES", "MEANINGS", "glossary_markdown"]

#: The machines the glossary covers, in the order it lists them.
MACHINES: tuple[Machine, ...] = (Machine.VOLUME, Machine.VOLUME_ATTACH, Machine.SNAPSHOT,
                                 Machine.BACKUP, Machine.ATTACHMENT)

_E = "en"
_V = "vi"

#: (machine, status) -> {lang: meaning}.
MEANINGS: Mapping[tuple[Machine, str], Mapping[str, str]] = {
    (Machine.VOLUME, "creating"): {
        _E: "cinder-api made the row; cinder-scheduler and cinder-volume are making the volume.",
        _V: "cinder-api đã tạo bản ghi; cinder-scheduler và cinder-volume đang tạo volume."},
    (Machine.VOLUME, "available"): {
        _E: "Ready, attached to nothing: it can be attached, snapshotted, backed up, extended or "
            "deleted.",
        _V: "Sẵn sàng, chưa gắn vào đâu: có thể gắn, chụp snapshot, sao lưu, mở rộng hoặc xóa."},
    (Machine.VOLUME, "deleting"): {
        _E: "cinder-volume is removing it from the backend; success removes the row.",
        _V: "cinder-volume đang xóa nó khỏi hệ thống lưu trữ; xóa xong thì bản ghi biến mất."},
    (Machine.VOLUME, "error"): {
        _E: "Creating it failed (or an admin set it): only deleting or a reset-status helps.",
        _V: "Tạo volume thất bại (hoặc quản trị viên đặt trạng thái này): chỉ có thể xóa hoặc đặt "
            "lại trạng thái."},
    (Machine.VOLUME, "error_deleting"): {
        _E: "The driver failed to delete it; an admin resets the status to retry.",
        _V: "Driver xóa thất bại; quản trị viên đặt lại trạng thái để thử lại."},
    (Machine.VOLUME, "error_managing"): {
        _E: "Bringing an existing backend volume under Cinder (manage) failed.",
        _V: "Đưa một volume có sẵn trên hệ thống lưu trữ vào Cinder (manage) thất bại."},
    (Machine.VOLUME, "managing"): {
        _E: "cinder-volume is bringing an existing backend volume under Cinder.",
        _V: "cinder-volume đang đưa một volume có sẵn trên hệ thống lưu trữ vào Cinder."},
    (Machine.VOLUME, "attaching"): {
        _E: "A host is connecting: the driver has exported it and returned connection_info.",
        _V: "Một máy chủ đang kết nối: driver đã xuất volume và trả về connection_info."},
    (Machine.VOLUME, "in-use"): {
        _E: "Attached to at least one server.",
        _V: "Đang gắn vào ít nhất một máy ảo."},
    (Machine.VOLUME, "detaching"): {
        _E: "Nova is disconnecting it (legacy detach, os-begin_detaching).",
        _V: "Nova đang ngắt kết nối (cách tháo cũ, os-begin_detaching)."},
    (Machine.VOLUME, "maintenance"): {
        _E: "Locked while it is migrated.",
        _V: "Bị khóa trong lúc được di chuyển (migrate)."},
    (Machine.VOLUME, "restoring-backup"): {
        _E: "cinder-backup is writing a backup's data into it.",
        _V: "cinder-backup đang ghi dữ liệu của một bản backup vào volume."},
    (Machine.VOLUME, "error_restoring"): {
        _E: "Restoring a backup into it failed.",
        _V: "Khôi phục bản backup vào volume thất bại."},
    (Machine.VOLUME, "reserved"): {
        _E: "An attachment was created for it but no host has connected yet.",
        _V: "Đã có attachment nhưng chưa máy chủ nào kết nối."},
    (Machine.VOLUME, "awaiting-transfer"): {
        _E: "Offered to another project; waiting for it to accept.",
        _V: "Đang được chuyển cho dự án khác; chờ bên nhận chấp nhận."},
    (Machine.VOLUME, "backing-up"): {
        _E: "cinder-backup is reading it to make a backup.",
        _V: "cinder-backup đang đọc volume để tạo bản backup."},
    (Machine.VOLUME, "error_backing-up"): {
        _E: "In the enum, but Cinder only stores it in previous_status: a failed backup puts the "
            "volume back.",
        _V: "Có trong danh sách nhưng Cinder chỉ lưu nó ở previous_status: sao lưu lỗi thì volume "
            "trở về trạng thái trước."},
    (Machine.VOLUME, "error_extending"): {
        _E: "The driver failed to grow it.",
        _V: "Driver mở rộng volume thất bại."},
    (Machine.VOLUME, "downloading"): {
        _E: "An image is being copied into it.",
        _V: "Một image đang được chép vào volume."},
    (Machine.VOLUME, "uploading"): {
        _E: "It is being copied to the image service.",
        _V: "Volume đang được chép lên dịch vụ image."},
    (Machine.VOLUME, "retyping"): {
        _E: "Its volume type is changing (maybe with a migration).",
        _V: "Loại volume đang được đổi (có thể kèm di chuyển)."},
    (Machine.VOLUME, "extending"): {
        _E: "The driver is growing it.",
        _V: "Driver đang mở rộng volume."},
    (Machine.VOLUME, "reverting"): {
        _E: "It is being reverted to its latest snapshot.",
        _V: "Volume đang được đưa về snapshot gần nhất."},
    (Machine.VOLUME, "unmanaging"): {
        _E: "Cinder is letting go of it (the backend volume stays).",
        _V: "Cinder đang thôi quản lý volume (volume trên hệ thống lưu trữ vẫn còn)."},
    (Machine.VOLUME, "error_unmanaging"): {
        _E: "Letting go of it failed.",
        _V: "Thôi quản lý volume thất bại."},
    (Machine.VOLUME, "error_managing_deleting"): {
        _E: "A volume that failed to be managed is being deleted (shown as deleting).",
        _V: "Một volume manage lỗi đang bị xóa (hiển thị là deleting)."},
    (Machine.VOLUME, "migration_target"): {
        _E: "The destination row of a migration, before the swap.",
        _V: "Bản ghi đích của một lần di chuyển, trước khi hoán đổi."},
    (Machine.VOLUME_ATTACH, "attached"): {
        _E: "At least one attachment is complete.",
        _V: "Ít nhất một attachment đã hoàn tất."},
    (Machine.VOLUME_ATTACH, "attaching"): {
        _E: "A host is connecting.",
        _V: "Một máy chủ đang kết nối."},
    (Machine.VOLUME_ATTACH, "detached"): {
        _E: "No attachment is connected.",
        _V: "Không attachment nào đang kết nối."},
    (Machine.VOLUME_ATTACH, "reserved"): {
        _E: "Reserved for an attachment (legacy actions).",
        _V: "Được giữ chỗ cho một attachment (cách gắn cũ)."},
    (Machine.VOLUME_ATTACH, "error_attaching"): {
        _E: "Connecting failed.",
        _V: "Kết nối thất bại."},
    (Machine.VOLUME_ATTACH, "error_detaching"): {
        _E: "Disconnecting failed.",
        _V: "Ngắt kết nối thất bại."},
    (Machine.VOLUME_ATTACH, "deleted"): {
        _E: "In the enum; Cinder writes it when an attachment row is soft-deleted.",
        _V: "Có trong danh sách; Cinder ghi nó khi bản ghi attachment bị xóa mềm."},
    (Machine.SNAPSHOT, "error"): {
        _E: "Taking the snapshot failed.",
        _V: "Tạo snapshot thất bại."},
    (Machine.SNAPSHOT, "available"): {
        _E: "Ready: volumes can be created from it.",
        _V: "Sẵn sàng: có thể tạo volume từ snapshot."},
    (Machine.SNAPSHOT, "creating"): {
        _E: "The driver is taking it.",
        _V: "Driver đang tạo snapshot."},
    (Machine.SNAPSHOT, "deleting"): {
        _E: "The driver is removing it; success removes the row.",
        _V: "Driver đang xóa snapshot; xóa xong thì bản ghi biến mất."},
    (Machine.SNAPSHOT, "deleted"): {
        _E: "In the enum; the row is soft-deleted with it.",
        _V: "Có trong danh sách; bản ghi bị xóa mềm với giá trị này."},
    (Machine.SNAPSHOT, "updating"): {
        _E: "In the enum; no operation of the simulator enters it.",
        _V: "Có trong danh sách; không thao tác nào của trình mô phỏng đi vào trạng thái này."},
    (Machine.SNAPSHOT, "error_deleting"): {
        _E: "The driver failed to remove it.",
        _V: "Driver xóa snapshot thất bại."},
    (Machine.SNAPSHOT, "unmanaging"): {
        _E: "Cinder is letting go of it.",
        _V: "Cinder đang thôi quản lý snapshot."},
    (Machine.SNAPSHOT, "backing-up"): {
        _E: "A backup is being made from it.",
        _V: "Một bản backup đang được tạo từ snapshot."},
    (Machine.SNAPSHOT, "restoring"): {
        _E: "Its volume is being reverted to it.",
        _V: "Volume của nó đang được đưa về snapshot này."},
    (Machine.BACKUP, "error"): {
        _E: "Making the backup failed.",
        _V: "Tạo bản backup thất bại."},
    (Machine.BACKUP, "error_deleting"): {
        _E: "Removing its objects from the backup store failed.",
        _V: "Xóa các object của nó khỏi kho lưu bản sao thất bại."},
    (Machine.BACKUP, "creating"): {
        _E: "cinder-api made the row; cinder-backup is copying the volume.",
        _V: "cinder-api đã tạo bản ghi; cinder-backup đang chép volume."},
    (Machine.BACKUP, "available"): {
        _E: "Complete in the backup store: it can be restored.",
        _V: "Đã nằm đủ trong kho lưu bản sao: có thể khôi phục."},
    (Machine.BACKUP, "deleting"): {
        _E: "cinder-backup is removing its objects; success removes the row.",
        _V: "cinder-backup đang xóa các object của nó; xóa xong thì bản ghi biến mất."},
    (Machine.BACKUP, "deleted"): {
        _E: "In the enum; the row is soft-deleted with it.",
        _V: "Có trong danh sách; bản ghi bị xóa mềm với giá trị này."},
    (Machine.BACKUP, "restoring"): {
        _E: "Its data is being written into a volume.",
        _V: "Dữ liệu của nó đang được ghi vào một volume."},
    (Machine.ATTACHMENT, "attached"): {
        _E: "The host is connected and Nova said so (os-complete).",
        _V: "Máy chủ đã kết nối và Nova đã báo (os-complete)."},
    (Machine.ATTACHMENT, "attaching"): {
        _E: "A connector was given; the volume is exported to that host.",
        _V: "Đã có connector (thông tin initiator của host); volume đã được xuất cho máy chủ đó."},
    (Machine.ATTACHMENT, "detached"): {
        _E: "Disconnected (legacy detach).",
        _V: "Đã ngắt kết nối (cách tháo cũ)."},
    (Machine.ATTACHMENT, "reserved"): {
        _E: "Created with no connector yet (POST /attachments).",
        _V: "Mới tạo, chưa có connector (POST /attachments)."},
    (Machine.ATTACHMENT, "error_attaching"): {
        _E: "Exporting or connecting failed.",
        _V: "Xuất volume hoặc kết nối thất bại."},
    (Machine.ATTACHMENT, "error_detaching"): {
        _E: "Ending the connection failed.",
        _V: "Ngắt kết nối thất bại."},
    (Machine.ATTACHMENT, "deleted"): {
        _E: "In the enum; the row is soft-deleted with it.",
        _V: "Có trong danh sách; bản ghi bị xóa mềm với giá trị này."},
}

_WORDS = {
    "en": {"title": "Status glossary", "in": "In", "out": "Out", "none": "—",
           "born": "(new row)", "gone": "(row removed)", "any": "any status",
           "except": "except",
           "intro": "Every status Cinder stores, what it means, and which operations move a "
                    "record into it (In: operation: from which statuses) and out of it (Out: "
                    "operation: to which statuses). Generated by `cindersim statuses` from "
                    "cindersim's transition table (src/cindersim/states.py); do not edit "
                    "by hand."},
    "vi": {"title": "Bảng thuật ngữ trạng thái", "in": "Vào", "out": "Ra", "none": "—",
           "born": "(bản ghi mới)", "gone": "(bản ghi bị xóa)", "any": "mọi trạng thái",
           "except": "trừ",
           "intro": "Mọi trạng thái Cinder lưu, ý nghĩa của nó, và những thao tác đưa bản "
                    "ghi vào và ra khỏi nó. Sinh bởi `cindersim statuses` từ bảng chuyển "
                    "trạng thái của cindersim (src/cindersim/states.py); không sửa tay."},
}


def _set_text(values: set[str | None], everything: set[str], lang: str) -> str:
    """A set of statuses, as "any except ..." when it is most of the machine."""
    w = _WORDS[lang]
    parts = [w["born"]] if None in values else []
    live = {v for v in values if v is not None}
    if len(everything) > 6 and len(live) > len(everything) / 2:
        missing = sorted(everything - live)
        parts.append(w["any"] + (f" {w['except']} " + ", ".join(f"`{m}`" for m in missing)
                                 if missing else ""))
    else:
        order = {v: i for i, v in enumerate(sorted(everything))}
        parts.extend(f"`{v}`" for v in sorted(live, key=order.__getitem__))
    return ", ".join(parts)


def _by_op(pairs: list[tuple[str | None, tuple[str, ...]]]) -> dict[str, set[str | None]]:
    out: dict[str, set[str | None]] = {}
    for value, ops in pairs:
        for op in ops:
            out.setdefault(op, set()).add(value)
    return out


def _edges_in(machine: Machine, status: str, lang: str) -> str:
    edges = TABLE[machine]
    everything = {v for v in machine_states(machine) if v is not None} - {status}
    ops = _by_op([(old, o) for (old, new), o in edges.items() if new == status])
    return "<br>".join(f"{op}: {_set_text(src, everything, lang)}"
                       for op, src in ops.items()) or _WORDS[lang]["none"]


def _edges_out(machine: Machine, status: str, lang: str) -> str:
    edges = TABLE[machine]
    everything = {v for v in machine_states(machine) if v is not None} - {status}
    ops = _by_op([(new, edges[(status, new)]) for new in legal_targets(machine, status)])
    gone = _WORDS[lang]["gone"]
    return "<br>".join(f"{op}: " + _set_text(dst, everything, lang).replace(
        _WORDS[lang]["born"], gone) for op, dst in ops.items()) or _WORDS[lang]["none"]


def glossary_markdown(lang: str = "en") -> str:
    """The glossary as Markdown (the text of docs/statuses.md for ``en``)."""
    w = _WORDS.get(lang, _WORDS["en"])
    lang = lang if lang in _WORDS else "en"
    out = [f"# {w['title']}", "", w["intro"], ""]
    for machine in MACHINES:
        out += [f"## `{machine.value}`", ""]
        out += [f"| status | {'ý nghĩa' if lang == 'vi' else 'meaning'} | {w['in']} | "
                f"{w['out']} |", "| --- | --- | --- | --- |"]
        for status in machine_states(machine):
            if status is None:
                continue
            meaning = MEANINGS[(machine, status)][lang]
            out.append(f"| `{status}` | {meaning} | {_edges_in(machine, status, lang)} | "
                       f"{_edges_out(machine, status, lang)} |")
        out.append("")
    return "\n".join(out)
