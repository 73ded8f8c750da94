"""Indonesian words for the seeded tickets: streets, villages, what callers report (a fixed vocabulary, so the
bench can search for words it knows are there, and for words it knows are rare)."""

from __future__ import annotations

STREETS = (
    "Sudirman", "Thamrin", "Gatot Subroto", "Diponegoro", "Pahlawan", "Merdeka", "Ahmad Yani", "Imam Bonjol",
    "Hayam Wuruk", "Gajah Mada", "Pemuda", "Veteran", "Kartini", "Cendana", "Mawar", "Melati", "Anggrek",
    "Kenanga", "Flamboyan", "Cempaka", "Teuku Umar", "Hasanuddin", "Pattimura", "Sisingamangaraja", "Juanda",
    "Wahid Hasyim", "Kyai Tapa", "Raya Bogor", "Raya Serang", "Daan Mogot", "Kaliurang", "Magelang", "Malioboro",
    "Parangtritis", "Siliwangi", "Dago", "Cihampelas", "Pasteur", "Riau", "Braga", "Asia Afrika", "Sukajadi",
    "Pramuka", "Cipinang", "Kramat Raya", "Salemba", "Pangeran Antasari", "Fatmawati", "Kemang Raya", "Tebet Barat",
)
VILLAGES = (
    "Menteng", "Gondangdia", "Cikini", "Kebon Sirih", "Tanah Abang", "Petamburan", "Senayan", "Grogol", "Tomang",
    "Kebayoran", "Pela Mampang", "Cilandak", "Pondok Labu", "Jagakarsa", "Lenteng Agung", "Cawang", "Kramat Jati",
    "Duren Sawit", "Klender", "Cakung", "Sunter", "Kelapa Gading", "Pademangan", "Ancol", "Penjaringan",
    "Cengkareng", "Kalideres", "Kembangan", "Meruya", "Srengseng", "Bintaro", "Ciputat", "Pamulang", "Serpong",
    "Cibubur", "Cimanggis", "Depok Jaya", "Beji", "Sawangan", "Bekasi Jaya", "Harapan Indah", "Jatiasih",
)
DISTRICTS = ("Menteng", "Tanah Abang", "Kebayoran Baru", "Cilandak", "Jatinegara", "Koja", "Cengkareng",
             "Pasar Minggu", "Ciracas", "Pulo Gadung", "Tebet", "Kemayoran", "Grogol Petamburan", "Cakung")
LANDMARKS = ("pasar", "masjid", "sekolah dasar", "puskesmas", "terminal", "stasiun", "pom bensin", "warung kopi",
             "jembatan", "lapangan bola", "kantor kelurahan", "minimarket", "gereja", "rumah sakit", "pabrik")

# (category code, what the caller reports) — the call taker's description of a real emergency.
EMERGENCIES = (
    ("kebakaran", "Kebakaran rumah warga, api sudah membesar dan merambat ke rumah sebelah"),
    ("kebakaran", "Asap tebal keluar dari gudang, warga mencoba memadamkan dengan ember"),
    ("kebakaran", "Korsleting listrik di ruko, api terlihat dari lantai dua"),
    ("kecelakaan_lalu_lintas", "Kecelakaan motor dengan truk, satu korban luka berat tergeletak di jalan"),
    ("kecelakaan_lalu_lintas", "Tabrakan beruntun tiga mobil, lalu lintas macet total"),
    ("kecelakaan_lalu_lintas", "Pengendara motor terjatuh karena jalan licin, kaki korban patah"),
    ("kegawatdaruratan_medis", "Bapak tua pingsan di rumah, tidak sadarkan diri, napas lemah"),
    ("kegawatdaruratan_medis", "Ibu hamil pendarahan dan butuh ambulans segera"),
    ("kegawatdaruratan_medis", "Anak kejang demam tinggi, orang tua panik"),
    ("banjir", "Banjir setinggi pinggang, warga lansia terjebak di dalam rumah"),
    ("banjir", "Air sungai meluap ke permukiman, perlu perahu karet untuk evakuasi"),
    ("longsor", "Tanah longsor menutup jalan desa, satu rumah tertimbun"),
    ("gempa", "Dinding rumah retak setelah gempa, warga takut masuk ke dalam"),
    ("pohon_tumbang", "Pohon besar tumbang menimpa mobil yang parkir, kabel listrik putus"),
    ("pohon_tumbang", "Pohon tumbang melintang di jalan raya, kendaraan tidak bisa lewat"),
    ("jalan_jembatan_rusak", "Jembatan kayu ambrol, sepeda motor jatuh ke sungai"),
    ("pencemaran_lingkungan", "Bau gas menyengat dari saluran air, warga pusing dan mual"),
    ("kekerasan_perempuan_anak", "Terdengar teriakan anak dipukuli di rumah tetangga"),
    ("orang_terlantar", "Seorang kakek terlantar di halte, kebingungan dan tidak tahu alamatnya"),
    ("gangguan_ketertiban", "Tawuran pelajar membawa senjata tajam di depan sekolah"),
    ("gangguan_ketertiban", "Pencurian sepeda motor, pelaku kabur ke arah gang sempit"),
    ("hewan_liar", "Ular kobra besar masuk ke dapur rumah warga"),
    ("hewan_liar", "Sarang tawon di atap rumah, anak tersengat"),
    ("air_bersih", "Pipa air PDAM pecah, jalan tergenang dan warga tidak dapat air bersih"),
)
INFORMATION = (
    "Menanyakan nomor telepon rumah sakit terdekat",
    "Menanyakan jadwal pemadaman listrik di wilayahnya",
    "Menanyakan cara melapor kehilangan dokumen ke polisi",
    "Menanyakan lokasi posko pengungsian banjir",
    "Minta informasi apotek yang buka malam ini",
)
PRANKS = (
    "Penelepon iseng, tertawa lalu menutup telepon",
    "Anak-anak bermain telepon, mengaku ada kebakaran lalu tertawa",
    "Penelepon berkata kasar kepada petugas",
    "Penelepon menyanyi dan tidak menjawab pertanyaan",
)
FIRST_NAMES = ("Budi", "Siti", "Agus", "Dewi", "Rudi", "Sri", "Andi", "Wati", "Joko", "Rina", "Hendra", "Nur",
               "Bambang", "Lestari", "Eko", "Yuni", "Dedi", "Ratna", "Slamet", "Fitri")
LAST_NAMES = ("Santoso", "Wijaya", "Hidayat", "Saputra", "Kurniawan", "Lestari", "Setiawan", "Pratama",
              "Nugroho", "Rahayu", "Susanto", "Handayani", "Siregar", "Nasution", "Simanjuntak")
# Words the bench never writes: a search that finds nothing must still answer quickly.
ABSENT = ("zebrakuda", "tsunamiku", "xylofon", "qwertyui")
