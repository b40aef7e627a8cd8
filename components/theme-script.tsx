/**
 * Applies the stored theme (light, dark or the system's) to <html> before the first paint, on every
 * page, as an inline script: no client bundle needed for it. `ThemeToggle` changes the choice.
 */
export const THEME_STORAGE_KEY = "theme";

const SCRIPT = `(function(){try{var t=localStorage.getItem(${JSON.stringify(THEME_STORAGE_KEY)});var d=t==="dark"||((t===null||t==="system")&&matchMedia("(prefers-color-scheme: dark)").matches);var e=document.documentElement;e.classList.toggle("dark",d);e.classList.toggle("light",!d);e.style.colorScheme=d?"dark":"light"}catch(_){}})()`;

export function ThemeScript() {
  return <script dangerouslySetInnerHTML={{ __html: SCRIPT }} />;
}
