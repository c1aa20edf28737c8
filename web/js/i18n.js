// i18n.js - the console's words in English and in Welsh (issue 15 item 5).
// Every string a page shows comes from the catalogue of the chosen language,
// web/lang/en.json or web/lang/cy.json: one flat object of key -> text, with
// {name} for what is filled in. The same files hold the public documents'
// words, which the server embeds (src/report/lang.c), and a test checks that
// every key is in both languages with the same {names}.
//
// The choice is the officer's, kept in this browser; until they choose, the
// browser's own language decides. Messages from the server stay in English.

const KEY = 'lfr.lang';
export const LANGUAGES = [['en', 'English'], ['cy', 'Cymraeg']];

let current = 'en';
let words = {};
let english = {};

async function fetchCatalogue(lang) {
  const res = await fetch(`/lang/${lang}.json`, { cache: 'no-cache' });
  if (!res.ok) throw new Error(`the ${lang} catalogue could not be loaded (HTTP ${res.status})`);
  return res.json();
}

function chosen() {
  let saved = null;
  try {
    saved = localStorage.getItem(KEY);
  } catch {
    /* storage may be off: the browser's language decides */
  }
  if (LANGUAGES.some(([l]) => l === saved)) return saved;
  return (navigator.languages || [navigator.language]).some((l) => /^cy\b/i.test(l || '')) ? 'cy' : 'en';
}

// Loads the chosen language (English underneath, for any key a page asks
// for that the Welsh catalogue lacks: the catalogue test keeps that empty).
export async function loadLanguage() {
  current = chosen();
  english = await fetchCatalogue('en');
  words = current === 'en' ? english : await fetchCatalogue(current).catch(() => english);
  document.documentElement.lang = current === 'cy' ? 'cy' : 'en-GB';
}

export function setLanguage(lang) {
  try {
    localStorage.setItem(KEY, lang);
  } catch {
    /* not kept: this page load only */
  }
  location.reload();
}

export const language = () => current;
// The BCP 47 tag for Intl: numbers and times as the reader writes them.
// A browser without Welsh data would fall back to American English, so
// British English stands in for it.
export const locale = () =>
  (current === 'cy' && Intl.DateTimeFormat.supportedLocalesOf('cy').length ? 'cy-GB' : 'en-GB');

// The text of key in the current language, {name} filled from vars.
export function t(key, vars) {
  const text = words[key] ?? english[key];
  if (text === undefined) {
    console.warn(`i18n: no text for '${key}'`);
    return key;
  }
  return vars ? text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : text;
}

// "1 alert" or "2 alerts": the key's .one or .other form (Welsh counts the
// same two ways for the figures the console shows, with {n} in both).
export const tn = (key, n, vars) => t(`${key}.${n === 1 ? 'one' : 'other'}`, { n, ...vars });
