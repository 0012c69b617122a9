import { initToggle } from './i18n.js';
initToggle();
