import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dnsLabelProblem, GRANTABLE_RESERVED_NAMESPACES, RESERVED_NAMESPACES, RESERVED_USERS } from '../../../runtime/cluster/access-names.js';
import { CLIENT_SIGNER, clientCsrObject, namespaceAccess, renderUserKubeconfig, userNamespace, userRecordObject, USER_LABEL, USER_NAMESPACE_LABEL } from '../../../runtime/cluster/namespace-access.js';

describe('user and namespace names', () => {
  it.each(['alice', 'team-a', 'a', 'x1', '1x', 'a'.repeat(63)])('accepts the DNS label %s', (name) => {
    expect(dnsLabelProblem(name)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['Alice', /lowercase/],
    ['-alice', /starts or ends/],
    ['alice-', /starts or ends/],
    ['al_ice', /lowercase/],
    ['al.ice', /lowercase/],
    ['system:alice', /lowercase/],
    ['a'.repeat(64), /64 characters \(at most 63\)/],
  ])('rejects %j as a DNS label', (name, why) => {
    expect(dnsLabelProblem(name)).toMatch(why);
  });

  it('reserves the system namespaces Azure Stack Edge reserves, and lets only iotedge be granted', () => {
    expect(RESERVED_NAMESPACES).toEqual(expect.arrayContaining(['kube-system', 'default', 'kube-public', 'kube-node-lease', 'iotedge', 'azure-arc', 'metallb-system']));
    expect(GRANTABLE_RESERVED_NAMESPACES).toEqual(['iotedge']);
    expect(RESERVED_USERS).toEqual(expect.arrayContaining(['aseuser', 'edgemu-admin']));
  });
});

describe('namespace access objects', () => {
  const { role, roleBinding } = namespaceAccess('alice', 'team-a');

  it('a Role with every verb on every resource in the namespace only', () => {
    expect(role).toMatchObject({ kind: 'Role', metadata: { name: 'edgemu-user-alice', namespace: 'team-a', labels: { [USER_LABEL]: 'alice' } } });
    expect(role.rules).toEqual([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]);
  });

  it('a RoleBinding of that Role to the user (no group, no ServiceAccount)', () => {
    expect(roleBinding).toMatchObject({ kind: 'RoleBinding', metadata: { name: 'edgemu-user-alice', namespace: 'team-a' } });
    expect(roleBinding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'edgemu-user-alice' });
    expect(roleBinding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }]);
  });

  it('labels namespaces it makes, so delete touches only those', () => {
    expect(userNamespace('team-a').metadata).toEqual({ name: 'team-a', labels: { [USER_NAMESPACE_LABEL]: 'true' } });
  });

  it('asks the kube-apiserver-client signer for a client-auth certificate', () => {
    const csr = clientCsrObject({ name: 'edgemu-user-alice-1', user: 'alice', csrPem: 'PEM', expirationSeconds: 86_400 });
    expect(csr.spec).toEqual({ request: Buffer.from('PEM').toString('base64'), signerName: CLIENT_SIGNER, expirationSeconds: 86_400, usages: ['digital signature', 'key encipherment', 'client auth'] });
    expect(CLIENT_SIGNER).toBe('kubernetes.io/kube-apiserver-client');
  });

  it('records a user in kube-system with its certificate and expiry', () => {
    const cm = userRecordObject({ name: 'alice', createdAt: 't0', certificate: 'CERT', notAfter: 't1' });
    expect(cm.metadata).toMatchObject({ name: 'edgemu-user-alice', namespace: 'kube-system', labels: { [USER_LABEL]: 'alice' } });
    expect(cm.data).toEqual({ user: 'alice', createdAt: 't0', notAfter: 't1', 'client.crt': 'CERT' });
  });
});

describe('the user kubeconfig', () => {
  it('embeds the CA, certificate and key, with one context user@cluster', () => {
    const doc = parse(renderUserKubeconfig({ user: 'alice', server: 'https://127.0.0.1:1', caPem: 'CA', certPem: 'CRT', keyPem: 'KEY', clusterName: 'edgemu-edgemu' }));
    expect(doc['current-context']).toBe('alice@edgemu-edgemu');
    expect(doc.clusters[0]).toEqual({ name: 'edgemu-edgemu', cluster: { server: 'https://127.0.0.1:1', 'certificate-authority-data': Buffer.from('CA').toString('base64') } });
    expect(doc.users[0]).toEqual({ name: 'alice', user: { 'client-certificate-data': Buffer.from('CRT').toString('base64'), 'client-key-data': Buffer.from('KEY').toString('base64') } });
    expect(doc.contexts[0]).toEqual({ name: 'alice@edgemu-edgemu', context: { cluster: 'edgemu-edgemu', user: 'alice' } });
  });

  it('leaves the CA out when the admin kubeconfig has none (system roots)', () => {
    const doc = parse(renderUserKubeconfig({ user: 'bob', server: 'https://k8s.example', certPem: 'C', keyPem: 'K', clusterName: 'c' }));
    expect(doc.clusters[0].cluster).toEqual({ server: 'https://k8s.example' });
  });
});
