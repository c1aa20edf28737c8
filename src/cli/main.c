/* cli/main.c - the lfr command: dispatches `lfr <cmd> ...` to cmd_<cmd>(). */
#include "cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const cli_command cli_commands[] = {
    {"serve", cmd_serve, "the server: operator console, JSON API, live deployments' cameras",
     "usage: lfr serve [--listen IP:PORT] [--db PATH|URL] [--state-dir DIR]\n"
     "         [--web DIR] [--models DIR]\n"
     "         [--cert PEM --key PEM] [--admin-password-file FILE]\n"
     "         [--retention-days N] [--tick-ms MS]\n"
     "         [--metrics-token-file FILE] [--require-walk-test]\n"
     "         [--max-connections N] [--max-connections-per-address N]\n"
     "         [--log-level debug|info|warn|error] [--session-hours N]\n"
     "         [--session-idle-minutes N] [--config FILE]\n"
     "Settings come from --config FILE, else /etc/openlfr/lfr.conf if present\n"
     "('key = value' lines, the flags' names with '_' for '-', tls_cert and\n"
     "tls_key for --cert and --key; docs/deploy.md), then from the flags given,\n"
     "which win. An unknown key or a bad value stops the start, its line named.\n"
     "What a start runs with is audited (settings.start), secrets excepted.\n"
     "The database is an SQLite file (one machine), or PostgreSQL given as\n"
     "postgresql://[USER@]HOST[:PORT]/NAME (libpq's form; a password from\n"
     "~/.pgpass, never on the command line): then the watchlist key and the\n"
     "audit anchor are NAME.key and NAME.anchors in --state-dir (default\n"
     "$LFR_STATE_DIR, else the working folder). docs/deploy.md.\n"
     "Serves the console and the API (docs/api.md) on 127.0.0.1:8080 by default,\n"
     "over HTTPS with --cert and --key. Runs the cameras of each live deployment\n"
     "inside its authorised window and stops them at its end, when suspended or\n"
     "stopped; deletes alert data after the retention period (31 days) at start\n"
     "and hourly. On a database without users it creates the administrator\n"
     "'admin' and prints a one-time password (or takes it from the file). Prints\n"
     "'listening on port N' on stdout when ready; stops on SIGINT or SIGTERM.\n"
     "The threshold floor (DEP-6) is the model's validated floor unless an\n"
     "authorising officer set one, with its evidence (lfr settings floor).\n"
     "--require-walk-test: a deployment goes live only after a walk test of its\n"
     "blue list (ACC-3); audited at every start.\n"
     "Connections: at most 512, 64 from one address (raise it behind a proxy);\n"
     "a request's headers must arrive within 10 s and its body within 60 s, a\n"
     "fifth of that once three quarters are taken, when only logged-in users\n"
     "are served.\n"
     "/metrics (Prometheus) is for an administrator's or auditor's session, or\n"
     "for 'Authorization: Bearer TOKEN' with the token in --metrics-token-file.\n"
     "The log is on stderr, one logfmt line per event (time, level, event, ids):\n"
     "start and stop, logins and failed logins, every change made through the API\n"
     "and its refusals, cameras starting, lost and reconnecting, alerts (their\n"
     "ids, never a face or a name), errors; --log-level (info) sets the least.\n"},
    {"edge", cmd_edge, "an edge node: run a deployment's cameras beside them (issue 17)",
     "usage: lfr edge init --state-dir DIR\n"
     "       lfr edge enrol --state-dir DIR --centre https://HOST:PORT [--ca PEM]\n"
     "              --name NAME --code CODE|-\n"
     "       lfr edge run --state-dir DIR [--models DIR] [--poll-ms MS]\n"
     "init makes the node's keys in DIR (0600; an Ed25519 signing key and an\n"
     "X25519 box key). enrol asks the centre to take this machine as a node,\n"
     "with the one-time code an administrator issued for NAME (console: Edge\n"
     "nodes); --code - reads it from standard input, out of sight of ps; --ca\n"
     "is the centre's certificate to trust (else the system's).\n"
     "It prints the key's fingerprint; the node waits until an administrator,\n"
     "seeing the same fingerprint in the console, approves it. run asks the\n"
     "centre once a poll (1000 ms) what to run: each live deployment placed on\n"
     "the node, its cameras (their sources as this machine sees them) and its\n"
     "reviewed templates, sealed to this node alone and opened in locked\n"
     "memory only. Alerts are sealed to the centre and kept in DIR/queue until\n"
     "the centre has them, oldest first, each once. A deployment stops, its\n"
     "templates wiped, when the centre stops, suspends or ends it, at the end\n"
     "of its window, or when the centre has been silent for longer than the\n"
     "deployment allows. A revoked node wipes and exits 1. Stops on SIGINT or\n"
     "SIGTERM. The log is on stderr: ids and counts, never a face or a name.\n"
     "docs/deploy.md.\n"},
    {"version", cmd_version, "print versions of lfr, ONNX Runtime and the models",
     "usage: lfr version [--json]\n"},
    {"doctor", cmd_doctor, "check the runtime and the model files, say how to fix what is wrong",
     "usage: lfr doctor [--models DIR] [--json]\n"
     "Checks that ONNX Runtime starts, that every model manifest parses, that each\n"
     "model file is present with the recorded SHA-256, and that the default engine\n"
     "loads. Exit 0 when all is well, 4 otherwise.\n"},
    {"detect", cmd_detect, "find the faces in an image, with landmarks and quality",
     "usage: lfr detect IMAGE [--json] [--models DIR] [--threads N] [--detector NAME]\n"
     "Prints every face: box, score, the 5 points (eyes, nose, mouth corners)\n"
     "and quality (box size, inter-eye distance, yaw/pitch/roll, sharpness,\n"
     "exposure). Exit 1 when the image holds no face.\n"},
    {"compare", cmd_compare, "similarity of the best face of two images",
     "usage: lfr compare IMAGE_A IMAGE_B [--json] [--threshold T] [--models DIR]\n"
     "         [--embedder NAME] [--no-flip]\n"
     "Embeds the highest-scoring face of each image and prints their cosine\n"
     "similarity and 'same' or 'different' at the threshold (default: the\n"
     "embedder manifest's). Exit 0 for same, 1 for different. Each face is\n"
     "embedded as the mean of it and its mirror image (more accurate, twice the\n"
     "time); --no-flip embeds it once, as live video does.\n"},
    {"watch", cmd_watch, "run the live pipeline over video sources against a watchlist",
     "usage: lfr watch --source SRC [--source SRC2 ...] --watchlist DIR_OR_MANIFEST\n"
     "         [--threshold T | --false-alert-rate R] [--realtime] [--json]\n"
     "         [--detect-size PX] [--models DIR] [--skip-refused]\n"
     "SRC: a video file or a folder of images. Live sources (rtsp://, http://, a\n"
     "webcam, a FIFO) are refused: live faces are processed only inside an\n"
     "authorised deployment (DEP-1), which lfr serve runs. The watchlist folder holds one image "
     "file or sub-folder of\n"
     "images per person (the name is the identity); a manifest is a CSV of\n"
     "'identity,path'. Prints each alert (a possible match for a person to verify)\n"
     "and a summary; with --json one JSON object per line. Files are read as fast\n"
     "as they can be processed unless --realtime paces them at their frame rate.\n"
     "Faces that match nobody are wiped right after comparison; nothing of them\n"
     "is written anywhere. Without --threshold, the threshold is chosen from the\n"
     "embedder's measured operating points so that about R of the people passing\n"
     "(default 0.005: five in 1,000) raise a false alert with this watchlist's\n"
     "size. Each passer's track is judged by the mean of its views' templates and\n"
     "raises at most one alert; an identity alerted on a camera is not alerted\n"
     "there again within 30 s. Every photo goes through the enrolment gate (WL-5);\n"
     "a refused one stops the run, or with --skip-refused is named on stderr and\n"
     "left out (an evaluation over a photo set you do not curate). Frames up to\n"
     "960 px long are searched for faces at their own size, larger ones shrunk to\n"
     "640; --detect-size PX searches every frame at PX.\n"},
    {"user", cmd_user,
     "add, list, disable or enable users, change their roles; reset a password on the host",
     "usage: lfr user add NAME --roles R1,R2 [--rank RANK] [--as ADMIN] [--db PATH]\n"
     "       lfr user list --as USER [--json]\n"
     "       lfr user disable|enable NAME --as ADMIN\n"
     "       lfr user roles NAME --roles R1,R2 [--rank RANK] --as ADMIN\n"
     "       lfr user reset-password NAME [--db PATH]\n"
     "Roles: applicant, authoriser, reviewer, operator, engagement, auditor,\n"
     "oversight, admin. Ranks: constable, sergeant, inspector, chief_inspector,\n"
     "superintendent, chief_superintendent, assistant_chief_constable,\n"
     "deputy_chief_constable, chief_constable. The acting user's password is read\n"
     "from $LFR_PASSWORD, a new user's from $LFR_NEW_PASSWORD. The first user,\n"
     "an administrator, is added without --as.\n"
     "reset-password is recovery on the host (a lost administrator password): it\n"
     "needs the database and its key file, not a user; it prints a one-time\n"
     "password that must be changed at the next login, and is audited.\n"},
    {"settings", cmd_settings, "the threshold floor a force sets, with its evidence",
     "usage: lfr settings floor T --evidence REF --as OFFICER [--db PATH]\n"
     "       lfr settings show [--json] [--db PATH]\n"
     "The threshold floor (DEP-6) is the lowest match threshold any deployment\n"
     "may use: the model's validated floor (ACC-1) unless an authorising officer\n"
     "of the authorising rank sets one here, naming the validation evidence.\n"
     "Kept in the database for the server and every command; audited.\n"},
    {"deployment", cmd_deployment, "run a deployment from draft to reviewed",
     "usage: lfr deployment ACTION ... --as USER [--db PATH]\n"
     "  create NAME                    a draft (applicant); prints its id\n"
     "  set ID FIELD VALUE             one field of the authorisation record (DEP-4)\n"
     "  location ID NAME REASON [--sensitive JUSTIFICATION]\n"
     "  camera ID NAME SOURCE [--location NAME]   a camera (file, rtsp://, /dev/video0)\n"
     "  submit ID                      by its applicant, when complete\n"
     "  authorise ID [--urgent]        authorising officer of the rank (DEP-3)\n"
     "  ratify ID                      an urgent authorisation, by a superintendent\n"
     "  start ID                       inside the authorised window (DEP-5)\n"
     "  stop|suspend|cancel ID --reason TEXT\n"
     "  review ID                      sign-off by the authorising officer\n"
     "  show ID [--json] | list [--json]\n"
     "  report ID [--json]             closing report of an ended deployment (DEP-10)\n"
     "  tick                           end what is past its end time\n"
     "Fields: purpose, intelligence_case, necessity, less_intrusive, start, end\n"
     "(UTC, 2026-12-01T09:00Z), watchlist_criteria, watchlist_categories,\n"
     "watchlist_size, threshold, engagement_plan, public_notice (or\n"
     "critical_threat_exemption and exemption_approved_by), dpia_ref,\n"
     "equality_ref, community_ref, pcc_informed (yes), expected_footfall.\n"},
    {"watchlist", cmd_watchlist, "build a deployment's watchlist, review and approve entries",
     "usage: lfr watchlist add DEPLOYMENT PHOTO --person REF --category CAT --reason TEXT\n"
     "         --source TEXT --legal-basis TEXT --photo-date YYYY-MM-DD\n"
     "         [--justification TEXT] [--child] --as APPLICANT\n"
     "       lfr watchlist approve|review|remove ENTRY --as USER\n"
     "       lfr watchlist list DEPLOYMENT --as USER [--json]\n"
     "Categories: wanted, suspect, bail_or_order, missing_at_risk, risk_of_harm,\n"
     "associate, witness, victim (the last three need --justification and a second\n"
     "approval; children need --child, a justification and a superintendent's\n"
     "approval). The photo must show exactly one usable face (size, pose,\n"
     "sharpness, exposure); it is stored encrypted with the key in $LFR_KEY (default:\n"
     "the database path + '.key', created 0600).\n"},
    {"report", cmd_report, "public notice, review, published record, summary, oversight data",
     "usage: lfr report notice|review|record ID --as USER [--format F] [--lang L]\n"
     "         [--out FILE]\n"
     "       lfr report summary --from YYYY-MM-DD --to YYYY-MM-DD --as USER [--format F]\n"
     "         [--lang L] [--out FILE]\n"
     "       lfr report oversight --as USER [--out FILE]\n"
     "The documents of REQUIREMENTS section 5, made from the audited records:\n"
     "  notice   public notice before going live (PUB-1): text (default) or html;\n"
     "           refused when the critical threat exemption was recorded\n"
     "  review   post-deployment review against the authorisation, with its sign-off\n"
     "           state (PUB-2): html (default) or json; authorising officers,\n"
     "           auditors and oversight\n"
     "  record   published deployment record (PUB-3): html (default), csv or json\n"
     "  summary  deployments that went live in [from, to) with false alert rates and\n"
     "           equality monitoring, Wilson 95% intervals, charts (PUB-4, PUB-6):\n"
     "           html (default), csv or json\n"
     "  oversight  aggregates and the audit log in aggregate, as json (PUB-5);\n"
     "           oversight and auditors\n"
     "--lang: en (English, the default) or cy (Welsh) for the words and dates of\n"
     "html and text; csv and json keep their English keys.\n"
     "Published documents (notice, record, summary) show counts of 1-4 as <5. No\n"
     "document carries a face or a watchlist identity; each is audited as an export.\n"},
    {"sar", cmd_sar, "subject access: was this person on a watchlist",
     "usage: lfr sar lookup PERSON_REF --as AUDITOR [--json]\n"},
    {"retention", cmd_retention, "end what is past its time and delete data past retention",
     "usage: lfr retention run [--days N]   (default 31, at most 31: PRI-3)\n"},
    {"backup", cmd_backup, "seal the database, its key and its audit anchor into one file",
     "usage: lfr backup FILE [--db PATH] [--passphrase-file F]\n"
     "Copies the database while the server runs (one consistent moment), with its\n"
     "watchlist key and its audit anchor, into FILE (new, mode 0600), sealed with\n"
     "the passphrase (the first line of F, else $LFR_BACKUP_PASSPHRASE; 12\n"
     "characters or more; Argon2id and XChaCha20-Poly1305): without it the file\n"
     "is useless, and any change to it is detected. Keep the passphrase apart\n"
     "from the backups. docs/deploy.md.\n"},
    {"restore", cmd_restore, "restore a backup where there is no database yet",
     "usage: lfr restore FILE [--db PATH] [--passphrase-file F]\n"
     "Unseals FILE beside PATH, verifies the restored audit chain and its anchor\n"
     "(as lfr audit verify), and only then puts the database, its key and its\n"
     "anchor in place. Refuses when any of them exists already (exit 1), when\n"
     "the passphrase is wrong or the file damaged (exit 3), and when the chain\n"
     "does not verify (exit 1); then nothing is left behind.\n"},
    {"audit", cmd_audit, "verify or export the tamper-evident audit log",
     "usage: lfr audit verify --as AUDITOR [--db PATH] [--json]\n"
     "       lfr audit export --as AUDITOR [--db PATH]\n"
     "verify: checks the hash chain of every record and the anchor outside the\n"
     "database, and names the first record that does not verify or what was\n"
     "deleted (exit 1, whoever asks: nothing is written to a damaged log), or\n"
     "says it is intact (exit 0). export: every record as a JSON line. Both act\n"
     "as a named auditor (password in $LFR_PASSWORD) and are audited. The\n"
     "database is --db, else $LFR_DB, else ~/.local/share/openlfr/lfr.db.\n"},
    {"evidence", cmd_evidence, "check an evidence bundle exported from the console",
     "usage: lfr evidence verify BUNDLE [--anchors FILE | --db PATH] [--json]\n"
     "Checks an evidence bundle (a held alert exported from the console) without\n"
     "the server: its Ed25519 signature, that it was signed with the key of the\n"
     "force's audit anchor file (--anchors, or the one beside --db), both faces\n"
     "against their SHA-256, and each audit record about the alert against its\n"
     "hash. Exit 0 when it verifies, 1 when it does not (saying why).\n"},
    {"eval", cmd_eval, "measure accuracy on labelled data",
     "usage: lfr eval verify --lfw DIR [--json] [--models DIR] [--embedder NAME]\n"
     "         [--no-flip] [--threads N] [--limit N] [--fuse A,B[,C]]\n"
     "       lfr eval fmr --lfw DIR [--merge FILE] [--embeddings CACHE] [--update-manifest]\n"
     "         [--json] [--models DIR] [--embedder NAME] [--no-flip] [--threads N]\n"
     "       lfr eval identify --lfw DIR [--merge FILE] [--embeddings CACHE] [...]\n"
     "       (fmr and identify also take --groups FILE [--threshold T] --plot FILE.svg\n"
     "        and --fuse A,B[,C])\n"
     "       lfr eval walkby --video V --truth T.json --watchlist W [--grace-frames N]\n"
     "         [--threshold T | --false-alert-rate R] [--realtime] [--json] [--skip-refused]\n"
     "       lfr eval calibrate --lfw DIR --model NAME --augmented FILE [--limit N]\n"
     "         [--models DIR]\n"
     "verify: the LFW View 2 protocol (pairs.txt, 10 folds; the threshold is\n"
     "chosen on 9 folds and tested on the 10th). Prints mean accuracy and its\n"
     "standard deviation, TAR at FAR = 1e-3, and how many images had no face\n"
     "(their pairs count as errors). --limit N uses the first N pairs of each\n"
     "fold (for quick checks; the full protocol has 600). Faces are embedded\n"
     "with their mirror image as in 'lfr compare'; --no-flip embeds once.\n"
     "fmr: every same-identity and cross-identity pair of LFW (about 87 million):\n"
     "thresholds for FMR 1e-3 .. 1e-7 with the FNMR at each, counts and Wilson\n"
     "95% intervals, the highest-scoring impostor pairs; --update-manifest\n"
     "writes the operating points into the embedder's manifest.\n"
     "identify: open-set 1:N; the first photo of each of the people with 2+\n"
     "photos is enrolled, their other photos are mated probes, the people with\n"
     "one photo non-mated probes; FNIR at FPIR 1e-1, 1e-2, 1e-3 and rank-1.\n"
     "--merge FILE: identities filed under two names, 'NAME,SAME_AS' per line\n"
     "(eval/lfw_same_person.csv). --embeddings CACHE: embed each image once and\n"
     "reuse the embeddings while the model and image list are the same.\n"
     "--groups FILE (lfw/groups/lfw_identity_groups.csv): the rates by perceived\n"
     "sex and ethnicity group at --threshold T (default: the embedder's), each\n"
     "with its count and Wilson 95% interval. --plot FILE.svg: DET curve and\n"
     "score histograms. --fuse A,B[,C]: score-level fusion of those embedders,\n"
     "each model's cosine divided by the spread of its impostor scores on LFW\n"
     "View 1's dev pairs (never the test pairs), then averaged; it prints the\n"
     "weights a fusion manifest records (models/fusion_*.json). --embedder NAME\n"
     "(or --model NAME) takes any manifest, a fusion included: the default is\n"
     "the fusion fusion_512_192, mobilefacenet512 the best single network.\n"
     "walkby: the walk test (ACC-3) on footage with a face box for every passer in\n"
     "every frame (the JSON of celeba_dev/walkby): V runs through the live\n"
     "pipeline as 'lfr watch' runs it, and each watchlisted passer is found by an\n"
     "alert naming them whose face box lies on them while in view (+ N frames);\n"
     "every other alert is false, repeats for a found passer are duplicates.\n"
     "Prints TPIR and false alerts per 1,000 passers with 95% intervals, time to\n"
     "alert, and who was missed.\n"
     "calibrate: for an int8 version of a network (tools/quantize_int8.py): runs\n"
     "FILE (the network NAME with its inner tensors made outputs, by the tool's\n"
     "'augment') on LFW View 1's development images (the first N pairs of each\n"
     "class of pairsDevTrain.txt), fed as NAME is fed (a detector: each image at\n"
     "1, 1/2 and 1/4 of its size; an embedder: the aligned main face), and prints\n"
     "each tensor's range as JSON for the tool's 'quantize'.\n"},
    {"bench", cmd_bench, "measure engine speed",
     "usage: lfr bench engine [--threads N] [--seconds S] [--image FILE] [--embedder NAME]\n"
     "         [--detector NAME] [--json]\n"
     "       lfr bench search [--sizes N,N,...] [--dim D] [--json]\n"
     "       lfr bench pipeline (--source FILE | --synthetic-lfw DIR [--frames N])\n"
     "         [--cameras N] [--realtime] [--plays N] [--threads 1|2] [--watchlist W]\n"
     "         [--detect-size PX]\n"
     "         [--frames-dir DIR] [--embedder NAME] [--detector NAME] [--json]\n"
     "engine: detection ms per frame at 320x240, 640x360, 640x480, 960x540 and\n"
     "1920x1080 and\n"
     "alignment+embedding ms per face, with N intra-op threads (default: both 1\n"
     "and 2) and with 2 images in parallel on 2 threads; for a fusion, with its\n"
     "members at once (each on its own thread) and in turn.\n"
     "search: galleries of random unit templates (default 10000,100000,1000000,\n"
     "512-d): ms per query alone and in batches of 32, for float and int8 +\n"
     "re-rank, beside a scalar loop and OpenBLAS sgemv/sgemm on the same data,\n"
     "1 thread; checks that int8 + re-rank gives the float search's top-1.\n"
     "pipeline: the live pipeline over a file as fast as it goes, or over a\n"
     "synthetic stream of 20 LFW faces per 1280x720 frame, each changing for a\n"
     "new person every 10 frames: fps, faces/s, new tracks/s, embeddings/s, latency\n"
     "p50/p95/p99 and CPU use, with 1 and 2 ONNX Runtime threads (or --threads).\n"
     "--cameras N plays the source on N cameras at once; --realtime paces each at\n"
     "its frame rate, as a camera would, and counts each camera's dropped frames;\n"
     "--plays N plays a file N times over (a longer, steadier measurement).\n"},
    {NULL, NULL, NULL, NULL},
};

static const cli_command *find_command(const char *name)
{
    for (const cli_command *c = cli_commands; c->name; c++)
        if (!strcmp(c->name, name)) return c;
    return NULL;
}

void cli_print_help(const char *cmd)
{
    const cli_command *c = find_command(cmd);
    if (c) fputs(c->usage, stdout);
}

static void print_overview(FILE *f)
{
    fprintf(f,
            "usage: lfr <command> [options]\n\nOpenLFR %s - live facial recognition.\n\n"
            "commands:\n",
            LFR_VERSION);
    for (const cli_command *c = cli_commands; c->name; c++)
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f, "\n'lfr help <command>' or 'lfr <command> --help' for details.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) {
        if (argc > 2) {
            if (!find_command(argv[2])) return cli_usage("help", "unknown command '%s'", argv[2]);
            cli_print_help(argv[2]);
        } else {
            print_overview(stdout);
        }
        return EXIT_OK;
    }
    if (!strcmp(name, "--version")) name = "version";
    const cli_command *c = find_command(name);
    if (!c) {
        fprintf(stderr, "lfr: error: unknown command '%s'; try 'lfr help'\n", name);
        return EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            cli_print_help(c->name);
            return EXIT_OK;
        }
    }
    /* An installed lfr uses the models installed with it, unless told. */
    char models[PATH_MAX];
    if (!getenv("LFR_MODEL_DIR") && !getenv("LFR_CACHE") &&
        cli_installed("models", models, sizeof models))
        setenv("LFR_MODEL_DIR", models, 0);
    return c->run(argc - 1, argv + 1);
}
