"""The replay's step labels in Bahasa Indonesia and English: the same words as the ticket page's timeline
(templates/tickets_macros.html ``event_label`` and its catalog entries), so that the list under the slider and the
timeline above it never name one step twice differently. A kind not named here is shown as its code."""

from __future__ import annotations

EVENTS: dict[str, tuple[str, str]] = {
    "arrived": ("Panggilan masuk", "Call arrived"),
    "located": ("Lokasi diterima", "Location received"),
    "queued": ("Masuk antrean", "Entered the queue"),
    "answered": ("Dijawab petugas", "Answered by a call taker"),
    "ended": ("Panggilan berakhir", "Call ended"),
    "classified": ("Diklasifikasikan", "Classified"),
    "reclassified": ("Klasifikasi diubah", "Classification changed"),
    "dispatch.created": ("Dikirim ke instansi", "Sent to an agency"),
    "dispatch.acknowledged": ("Diterima instansi", "Agency acknowledged"),
    "dispatch.assigned": ("Petugas lapangan ditugaskan", "Responder assigned"),
    "dispatch.responding": ("Petugas lapangan berangkat", "Responder set off"),
    "dispatch.processing": ("Petugas lapangan menangani", "Responder on scene"),
    "dispatch.resolved": ("Diselesaikan petugas lapangan", "Resolved by the responder"),
    "dispatch.cancelled": ("Pengiriman dibatalkan", "Dispatch cancelled"),
    "dispatch.escalated.supervisor": ("Belum diterima tepat waktu: alarm supervisor",
                                      "Not acknowledged in time: supervisor alarm"),
    "dispatch.escalated.alternate": ("Belum diterima tepat waktu: kontak cadangan diberi tahu",
                                     "Not acknowledged in time: alternate contact notified"),
    "callback.created": ("Tugas telepon balik dibuat", "Callback task created"),
    "callback.taken": ("Telepon balik diambil", "Callback taken"),
    "callback.calling": ("Menelepon balik warga", "Calling the citizen back"),
    "callback.call_failed": ("Telepon balik tidak tersambung", "Callback did not connect"),
    "callback.outcome": ("Hasil telepon balik", "Callback outcome"),
    "callback.escalated": ("Tidak ditelepon balik tepat waktu: supervisor diberi tahu",
                           "Not called back in time: supervisor alerted"),
    "callback.closed": ("Telepon balik ditutup", "Callback closed"),
    "closed": ("Tiket ditutup", "Ticket closed"),
    "cancelled": ("Ditutup sebagai laporan palsu", "Closed as a false call"),
    "text.in": ("Pesan teks dari warga", "Text message from the citizen"),
    "text.out": ("Pesan teks kepada warga", "Text message to the citizen"),
    "silent.prompted": ("Penelepon diam: diminta menekan 5 5…", "Silent caller: asked to press 5 5…"),
    "silent.confirmed": ("Diam — penelepon mengonfirmasi", "Silent — caller confirmed"),
    "silent.no_keypress": ("Diam — tidak ada tombol ditekan", "Silent — no keypress"),
    "junk.measure_set": ("Tindakan panggilan iseng ditetapkan pada nomor ini", "Junk-call measure set on this number"),
    "recording.started": ("Perekaman dimulai", "Recording started"),
    "recording.sealed": ("Rekaman disegel (hash di log audit)", "Recording sealed (hash in the audit log)"),
    "recording.missing": ("Rekaman hilang", "Recording missing"),
    "recording.unreadable": ("Rekaman tidak terbaca", "Recording unreadable"),
    "recording.deleted": ("Rekaman dihapus (masa simpan)", "Recording deleted (retention)"),
}

SOURCES: dict[str, tuple[str, str]] = {
    "pidf-lo": ("jaringan (PIDF-LO)", "network (PIDF-LO)"),
    "aml": ("ponsel (AML)", "handset (AML)"),
    "manual": ("diketik oleh petugas", "typed in by a call taker"),
}

CLASSIFICATIONS: dict[str, tuple[str, str]] = {  # tickets_macros.html ``classification_label``
    "darurat": ("Darurat", "Emergency"),
    "informasi": ("Permintaan informasi", "Information request"),
    "prank": ("Panggilan iseng", "Prank call"),
    "ghost": ("Panggilan diam", "Silent call"),
}
