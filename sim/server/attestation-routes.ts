/**
 * Models: the HTTP rows of the attestation services, each parsing its request, making one call
 *   on the backend's attestation services and answering in its service's shape: the confidential
 *   sidecar's `POST /attest/maa` and `POST /key/release` (attestation-services.md, "The
 *   confidential sidecar"), Microsoft Azure Attestation's `POST /attest/SevSnpVm`, `GET /certs`
 *   and `GET /.well-known/openid-configuration`, and Azure Key Vault's
 *   `POST /keys/{name}[/{version}]/release`.
 * Real counterpart: the SKR sidecar's gin handlers, MAA's and AKV's REST APIs.
 * Differs: one origin serves all of them; MAA and AKV want `?api-version=` on their POSTs and
 *   get it checked for presence only; `jwks_uri` in the OpenID metadata points at the origin the
 *   request came to (its Host header), where `/certs` really is, rather than at the issuer's
 *   host, which does not resolve, and it lists no `revocation_endpoint` (nothing is revoked
 *   here); the sidecar's `/key/release` answers `{key}` with the JWK as a JSON string, as its
 *   handler does.
 * Invariants: the sidecar rows answer `{error}` JSON and the Azure rows `{error: {code,
 *   message}}`; a refused attestation or release is a 4xx naming every failed check; the
 *   sidecar rows use the certificates as served (a wrongCertificate fault reaches MAA, as THIM's
 *   would), never the library's genuine ones.
 */
import { assert } from '../kernel/assert.js';
import { endpointHost } from './attestation-config.js';
import { jsonReply } from './http-status.js';
import {
  jsonObjectOf, optionalString, requireApiVersion, requiredString, runtimeDataOf,
} from './request-body.js';
import type { Route, RouteInput } from './routes.js';

/** The origin a request came to, from its Host header (undefined when absent or odd). */
function originOf(input: RouteInput): string | undefined {
  const host = input.headers['host'];
  const checked = host === undefined ? undefined : endpointHost(host);
  return checked === undefined ? undefined : `http://${checked}`;
}

function sidecarRoutes(): readonly Route[] {
  return [
    { id: 'attest.maa', method: 'POST', pattern: ['attest', 'maa'], style: 'json',
      handle: (backend, input) => {
        const request = jsonObjectOf(input.body);
        const maaEndpoint = requiredString(request, 'maa_endpoint', 'a host name');
        const token = backend.attestation.attestMaa(maaEndpoint, runtimeDataOf(request), true);
        return jsonReply(200, { token });
      } },
    { id: 'key.release', method: 'POST', pattern: ['key', 'release'], style: 'json',
      handle: (backend, input) => {
        const request = jsonObjectOf(input.body);
        const accessToken = optionalString(request, 'access_token');
        const jwk = backend.attestation.sidecarKeyRelease({
          maaEndpoint: requiredString(request, 'maa_endpoint', 'a host name'),
          akvEndpoint: requiredString(request, 'akv_endpoint', 'a host name'),
          kid: requiredString(request, 'kid', 'the key name'),
          ...(accessToken === undefined ? {} : { accessToken }),
        }, true);
        return jsonReply(200, { key: JSON.stringify(jwk) });
      } },
  ];
}

function tokenServiceRoutes(): readonly Route[] {
  return [
    { id: 'maa.attest', method: 'POST', pattern: ['attest', 'SevSnpVm'], style: 'azure',
      handle: (backend, input) => {
        requireApiVersion(input.pathAndQuery);
        const token = backend.attestation.attestSevSnpVm(jsonObjectOf(input.body));
        assert(token.split('.').length === 3, 'a compact JWS');
        return jsonReply(200, { token });
      } },
    { id: 'maa.certs', method: 'GET', pattern: ['certs'], style: 'azure',
      handle: (backend) => jsonReply(200, backend.attestation.jwks()) },
    { id: 'maa.openid', method: 'GET', pattern: ['.well-known', 'openid-configuration'],
      style: 'azure',
      handle: (backend, input) =>
        jsonReply(200, backend.attestation.openIdConfiguration(originOf(input))) },
  ];
}

function vaultRoute(pattern: readonly string[]): Route {
  return {
    id: 'akv.release', method: 'POST', pattern, style: 'azure',
    handle: (backend, input) => {
      requireApiVersion(input.pathAndQuery);
      const value = backend.attestation.vaultRelease(input.params['name']!,
        input.params['version'], jsonObjectOf(input.body));
      return jsonReply(200, { value });
    },
  };
}

/** The attestation rows, in matching order (none shares a path with another row). */
export function attestationRoutes(): readonly Route[] {
  const routes = [
    ...sidecarRoutes(),
    ...tokenServiceRoutes(),
    vaultRoute(['keys', '{name}', 'release']),
    vaultRoute(['keys', '{name}', '{version}', 'release']),
  ];
  assert(routes.every((route) => route.id.length > 0));
  return routes;
}
