/**
 * Cookies of offline mode: the identity provider's session id and the active organization's id.
 * Only the app's /api/offline routes set them (HttpOnly, SameSite=Lax); middleware routes on them.
 */
export const OFFLINE_SESSION_COOKIE = "offline_session";
export const OFFLINE_ORG_COOKIE = "offline_org";
export const OFFLINE_COOKIE_MAX_AGE_SECONDS = 60 * 60 * 24 * 30;
