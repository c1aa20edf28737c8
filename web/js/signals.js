// signals.js - making a new alert reach the officer: a tone, the system's
// notification and, on a phone, vibration (issue 15 item 2). Each is the
// officer's choice, kept in this browser only. A notification can show on
// a locked screen, so it never names the person or shows a face: it says
// that a possible match waits, and where.
import { h } from './ui.js';
import { t } from './i18n.js';

const KEY = 'lfr.signals';

function prefs() {
  try {
    return { sound: true, vibrate: true, ...JSON.parse(localStorage.getItem(KEY) || '{}') };
  } catch {
    return { sound: true, vibrate: true };
  }
}

function save(p) {
  try {
    localStorage.setItem(KEY, JSON.stringify(p));
  } catch {
    /* private mode: the choice lasts for this page */
  }
}

let audio = null;

// Two short rising tones: heard over a control room without being a siren.
function tone() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return false;
  audio = audio || new Ctx();
  if (audio.state === 'suspended') audio.resume().catch(() => {});
  const now = audio.currentTime;
  [[660, 0], [880, 0.18]].forEach(([freq, at]) => {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + at);
    gain.gain.exponentialRampToValueAtTime(0.3, now + at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.15);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + at);
    osc.stop(now + at + 0.16);
  });
  return true;
}

// title and body, in the reader's language, must not name anyone (see the
// top of the file).
export function signal({ title, body, tag }) {
  const p = prefs();
  if (p.sound) tone();
  if (p.vibrate && navigator.vibrate) navigator.vibrate([200, 100, 200]);
  if ('Notification' in window && Notification.permission === 'granted') {
    try {
      const n = new Notification(title, { body, tag, requireInteraction: true });
      n.onclick = () => {
        window.focus();
        n.close();
      };
    } catch {
      /* some phones only notify from a service worker: sound and vibration remain */
    }
  }
}

// The controls for a queue page: sound, vibration where the device has it,
// and the system notification, asked for only when the officer clicks.
export function signalControls() {
  const p = prefs();
  const status = h('span', { class: 'muted small', id: 'notify-status' });
  const sound = h('input', { type: 'checkbox', id: 'signal-sound', checked: p.sound });
  const vibrate = h('input', { type: 'checkbox', id: 'signal-vibrate', checked: p.vibrate });
  const ask = h('button', { type: 'button', class: 'secondary small', id: 'notify-allow' }, t('signals.allow'));
  const showState = () => {
    if (!('Notification' in window)) {
      ask.hidden = true;
      status.textContent = t('signals.unsupported');
      return;
    }
    const perm = Notification.permission;
    ask.hidden = perm !== 'default';
    status.textContent = perm === 'granted' ? t('signals.on') : perm === 'denied' ? t('signals.blocked') : '';
  };
  sound.addEventListener('change', () => {
    save({ ...prefs(), sound: sound.checked });
    if (sound.checked) tone(); // the officer hears what an alert sounds like
  });
  vibrate.addEventListener('change', () => save({ ...prefs(), vibrate: vibrate.checked }));
  ask.addEventListener('click', async () => {
    try {
      await Notification.requestPermission();
    } catch {
      /* an old browser: its callback form is not worth supporting */
    }
    showState();
  });
  showState();
  return h('div', { class: 'signals', id: 'signal-controls', role: 'group', 'aria-label': t('signals.group') },
    h('label', { class: 'inline' }, sound, ' ', t('signals.sound')),
    navigator.vibrate ? h('label', { class: 'inline' }, vibrate, ' ', t('signals.vibrate')) : null,
    ask, status);
}
