/**
 * A connection URL with its password replaced by `*****` (`postgres://u:*****@h/db`), for listings and
 * error messages: a driver's `describe` and its failures must never show a password.
 */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1*****@');
}
