/** Cookies the offline adapter keeps so middleware can route on the server (offline mode only). */
export const OFFLINE_SESSION_COOKIE = "offline_session";
export const OFFLINE_ORG_COOKIE = "offline_org";
