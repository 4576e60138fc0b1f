/**
 * A connection URL with its password replaced by `*****` (`postgres://u:*****@h/db`), for listings and
 * error messages: a driver's `describe` and its failures must never show a password.
 */
export function redactUrl(url: string): string {
  // a client key's passphrase in the query (libpq's sslpassword) is a secret too
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1*****@').replace(/([?&]sslpassword=)[^&#]*/gi, '$1*****');
}
